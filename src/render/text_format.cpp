#include "render/text_format.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "render/text_style.h"

namespace maskviz {

std::string number(float value, int precision) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  std::string text = fmt::format("{:.{}f}", value, precision);
  // -0.0 and a small negative that rounds to zero: zero is printed as zero, without a sign.
  if (text.front() == '-' && text.find_first_not_of("0.", 1) == std::string::npos) text.erase(0, 1);
  return text;
}

std::string scalar(float value, int precision) {
  if (std::isfinite(value) && value != 0.0f && std::fabs(value) < 0.5f * std::pow(10.0f, -static_cast<float>(precision)))
    return fmt::format("{:.{}e}", value, precision > 0 ? precision - 1 : 0);
  return number(value, precision);
}

double as_printed(float value, int precision) {
  if (!std::isfinite(value)) return value;
  const double scale = std::pow(10.0, precision);
  return std::nearbyint(static_cast<double>(value) * scale) / scale;
}

std::string printed_gap(float a, float b, int precision) {
  const std::string second = number(b, precision);
  return fmt::format("|{} − {}|", number(a, precision), second.starts_with('-') ? "(" + second + ")" : second);
}

void ArithmeticCheck::check(double by_hand, float exact, std::string_view how) {
  if (!miss_.empty() || !std::isfinite(by_hand) || !std::isfinite(exact)) return;
  const std::string hand = fmt::format("{:.{}f}", by_hand, precision_);
  if (hand == number(exact, precision_)) return;
  miss_ = fmt::format("{} = {} on the printed digits, where {} is printed", how, hand, number(exact, precision_));
}

std::string ArithmeticCheck::words() const {
  if (miss_.empty()) return "";
  return fmt::format("numbers are printed to {} decimals, and every product, sum, mean and difference is computed from "
                     "the unrounded float32 values, as Keras computes it; so the printed digits can miss by one in the "
                     "last place: {}. --precision {} shows more digits.",
                     precision_, miss_, std::min(precision_ + 3, 9));
}

std::string whole_or_number(float value, int precision) {
  if (std::isfinite(value) && value == std::nearbyint(value) && std::fabs(value) < 1e15f)
    return fmt::format("{}", static_cast<long long>(value));
  return number(value, precision);
}

std::vector<std::string> wrap(std::string_view text, std::size_t width, std::string_view first,
                              std::string_view rest) {
  std::vector<std::string> lines;
  std::string line(first);
  std::size_t line_width = display_width(first);
  bool line_has_word = false;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    if (i >= text.size()) break;
    const std::size_t end = std::min(text.find(' ', i), text.size());
    const std::string_view word = text.substr(i, end - i);
    const std::size_t word_width = display_width(word);
    if (line_has_word && line_width + 1 + word_width > width) {
      lines.push_back(line);
      line = std::string(rest);
      line_width = display_width(rest);
      line_has_word = false;
    }
    if (line_has_word) {
      line += ' ';
      ++line_width;
    }
    line += word;
    line_width += word_width;
    line_has_word = true;
    i = end;
  }
  if (line_has_word || lines.empty()) lines.push_back(line);
  return lines;
}

std::string plural(std::size_t count, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", count, count == 1 ? one : many);
}

// "[ 0.1000 -0.2000]": one row vector, each number padded to the widest (the attention text's context rows).
std::string vector_text(const float* values, std::size_t n, int precision) {
  std::vector<std::string> parts(n);
  std::size_t width = 0;
  for (std::size_t i = 0; i < n; ++i) {
    parts[i] = number(values[i], precision);
    width = std::max(width, parts[i].size());
  }
  std::string out = "[";
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) out += ' ';
    out += pad_left(parts[i], width);
  }
  return out + "]";
}

}  // namespace maskviz
