// Reading a scenario: a file, a device or FIFO (`<(...)`), or standard input for "-". Every failure is a
// UsageError that names the file and the reason; a directory is refused as such.
#pragma once

#include <string>

namespace maskviz::io {

std::string read_input(const std::string& path);

}  // namespace maskviz::io
