// maskviz's version (CMake's project version, defined for the engine and everything that links it)
// and the Keras release whose semantics it follows: every place that prints either reads them here.
#pragma once

namespace maskviz {

#ifndef MASKVIZ_VERSION
#error "MASKVIZ_VERSION comes from CMakeLists.txt (target maskviz_engine)"
#endif
inline constexpr const char* kVersion = MASKVIZ_VERSION;
inline constexpr const char* kKerasVersion = "3.15.1";

}  // namespace maskviz
