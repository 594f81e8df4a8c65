// GoogleTest parameter names may hold only letters, digits and '_': scenario file names become
// "lstm_carry_over" and the like, so a failing case names its scenario.
#pragma once

#include <algorithm>
#include <cctype>
#include <string>

namespace maskviz {

inline std::string gtest_name(std::string text) {
  std::replace_if(text.begin(), text.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
  return text;
}

}  // namespace maskviz
