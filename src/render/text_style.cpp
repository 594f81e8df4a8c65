#include "render/text_style.h"

#include <array>
#include <utility>

namespace maskviz {

namespace {

const char* escape_of(Tone tone) {
  switch (tone) {
    case Tone::plain: return "";
    case Tone::dim: return "\x1b[2m";
    case Tone::heading: return "\x1b[1m";
    case Tone::valid: return "\x1b[32m";
    case Tone::masked: return "\x1b[1;33m";
    case Tone::discarded: return "\x1b[2;31m";
    case Tone::carried: return "\x1b[35m";
    case Tone::warning: return "\x1b[1;31m";
    case Tone::note: return "\x1b[36m";
    case Tone::good: return "\x1b[1;32m";
    case Tone::bad: return "\x1b[1;31m";
  }
  return "";
}

// The Unicode that maskviz's own records and renderers use, spelled in ASCII.
constexpr std::array<std::pair<std::string_view, std::string_view>, 33> kAsciiSpelling = {{
    {"⊙", "*"},  {"·", "@"},   {"σ", "sigmoid"}, {"φ", "phi"}, {"Σ", "sum"}, {"→", "->"}, {"←", "<-"},
    {"≠", "!="}, {"—", "-"},   {"–", "-"},       {"…", "..."}, {"■", "#"},   {"□", "."},  {"≈", "~="},
    {"ε", "eps"}, {"×", "x"},  {"÷", "/"},       {"≤", "<="},  {"≥", ">="},  {"Δ", "d"},  {"“", "\""},
    {"”", "\""}, {"‘", "'"},   {"’", "'"},       {"─", "-"},   {"│", "|"},   {"═", "="},  {"┌", "+"},
    {"└", "+"},  {"✓", "ok"},  {"ŷ", "y^"},      {"−", "-"},   {"²", "^2"},
}};

}  // namespace

std::string Style::paint(std::string_view text, Tone tone) const {
  if (!color_ || tone == Tone::plain || text.empty()) return std::string(text);
  return std::string(escape_of(tone)) + std::string(text) + "\x1b[0m";
}

std::string Style::text(std::string_view text) const {
  if (!ascii_) return std::string(text);
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      out += text[i++];
      continue;
    }
    bool spelled = false;
    for (const auto& [unicode, ascii] : kAsciiSpelling) {
      if (text.substr(i, unicode.size()) == unicode) {
        out += ascii;
        i += unicode.size();
        spelled = true;
        break;
      }
    }
    if (spelled) continue;
    out += '?';
    ++i;
    while (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) ++i;
  }
  return out;
}

std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == 0x1b) {  // CSI ... final byte in @-~
      ++i;
      if (i < text.size() && text[i] == '[')
        while (i + 1 < text.size() && !(text[i + 1] >= '@' && text[i + 1] <= '~')) ++i;
      ++i;
      continue;
    }
    if ((c & 0xC0) != 0x80) ++width;  // count lead bytes only
  }
  return width;
}

std::string pad_right(std::string_view text, std::size_t width) {
  const std::size_t w = display_width(text);
  return std::string(text) + std::string(w < width ? width - w : 0, ' ');
}

std::string pad_left(std::string_view text, std::size_t width) {
  const std::size_t w = display_width(text);
  return std::string(w < width ? width - w : 0, ' ') + std::string(text);
}

std::string force_ascii(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      out += text[i];
    } else if ((c & 0xC0) != 0x80) {
      out += '?';
    }
  }
  return out;
}

}  // namespace maskviz
