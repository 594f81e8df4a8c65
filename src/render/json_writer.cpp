#include "render/json_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace maskviz {

namespace {

// The length of the well-formed UTF-8 sequence at `s` (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF), or 0 when the bytes there are not one.
std::size_t utf8_sequence_length(const unsigned char* s, std::size_t available) {
  const unsigned char c = s[0];
  std::size_t length = 0;
  unsigned char second_low = 0x80, second_high = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    length = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    length = 3;
    if (c == 0xE0) second_low = 0xA0;   // shorter forms are overlong
    if (c == 0xED) second_high = 0x9F;  // U+D800..DFFF are surrogates, not characters
  } else if (c >= 0xF0 && c <= 0xF4) {
    length = 4;
    if (c == 0xF0) second_low = 0x90;
    if (c == 0xF4) second_high = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (available < length || s[1] < second_low || s[1] > second_high) return 0;
  for (std::size_t i = 2; i < length; ++i)
    if (s[i] < 0x80 || s[i] > 0xBF) return 0;
  return length;
}

bool needs_escape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\' || c >= 0x80; }

constexpr char digit_pairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

// Writes the decimal digits of n (no leading zeros) ending just before `end`.
void digits_before(char* end, std::uint64_t n) {
  while (n >= 100) {
    end -= 2;
    std::memcpy(end, digit_pairs + 2 * (n % 100), 2);
    n /= 100;
  }
  if (n >= 10) std::memcpy(end - 2, digit_pairs + 2 * n, 2);
  else end[-1] = static_cast<char>('0' + n);
}

// Nine digits of n < 10^9, zero-padded, at out[0..9): straight-line code, no branch on the length.
void nine_digits(char* out, std::uint32_t n) {
  const std::uint32_t low = n % 100000000, a = low / 10000, b = low % 10000;
  out[0] = static_cast<char>('0' + n / 100000000);
  std::memcpy(out + 1, digit_pairs + 2 * (a / 100), 2);
  std::memcpy(out + 3, digit_pairs + 2 * (a % 100), 2);
  std::memcpy(out + 5, digit_pairs + 2 * (b / 100), 2);
  std::memcpy(out + 7, digit_pairs + 2 * (b % 100), 2);
}

// Digits of n > 0 without a division loop: log2 gives log10 to within one (1233 / 4096 ~ log10(2)).
int digit_count(std::uint64_t n) {
  static constexpr std::uint64_t powers_of_10[] = {1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
                                                   10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL,
                                                   100000000000ULL, 1000000000000ULL, 10000000000000ULL,
                                                   100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
                                                   100000000000000000ULL, 1000000000000000000ULL,
                                                   10000000000000000000ULL};
  const int guess = (std::bit_width(n) * 1233) >> 12;  // floor(log10(n)) or one more
  return guess - (n < powers_of_10[guess] ? 1 : 0) + 1;
}

}  // namespace

// The digits come from Dragonbox (fmt's, the algorithm behind fmt::format("{}", x)), which finds them in
// about half the time libstdc++'s to_chars takes. It is reached through fmt::detail because the public
// interfaces miss the export goal (>= 3x nlohmann::json::dump() of the same trace), measured with
// bench/export_bench (CPU time, 2-core AMD EPYC, shared; nlohmann about 2.6 s every time):
//   fmt::detail::dragonbox::to_decimal                        675 ms  3.9x
//   std::to_chars(first, last, value)                        1173 ms  2.2x
//   fmt::format_to(FMT_COMPILE("{:e}")), digits taken apart  2148 ms  1.2x
// tests/export_test.cpp holds the output equal to std::to_chars' (every float on request).
// The layout copies the digits in fixed 16-byte moves, with no branch on their count. This is the inner loop of an export: most of its time is spent here.
// Laid out as to_chars does: fixed notation when it is not longer than scientific ("0.001", "100",
// "1e-05", "1.5e+20"), and in fixed notation a whole number is written exactly ("240823472", not
// "240823470").
char* write_shortest_float(char* out, float value) {
  *out = '-';
  out += std::signbit(value) ? 1 : 0;
  const auto decimal = fmt::detail::dragonbox::to_decimal(value);  // |value| ~ significand * 10^exponent
  const std::uint32_t significand = decimal.significand;          // at most 9 digits
  const int exponent = decimal.exponent;
  const int n = digit_count(significand);
  char digits[32] = {};  // the significand's digits from first, and room for 16-byte moves
  nine_digits(digits, significand);
  const char* first = digits + 9 - n;
  const int point = n + exponent;  // digits before the decimal point
  const int fixed_length = exponent >= 0 ? point : point > 0 ? n + 1 : 2 - point + n;
  const int scientific_length = n + (n > 1 ? 1 : 0) + 4;  // d.ddde+XX: float32 exponents have two digits
  if (fixed_length <= scientific_length) {
    if (exponent >= 0) {  // a whole number below 10^14: exactly, as to_chars writes it
      const auto whole = static_cast<std::uint64_t>(std::fabs(value));
      const int length = digit_count(whole);
      digits_before(out + length, whole);
      return out + length;
    }
    if (point > 0) {  // ddd.ddd
      std::memcpy(out, first, 16);
      std::memcpy(out + point + 1, first + point, 16);
      out[point] = '.';
      return out + n + 1;
    }
    std::memcpy(out, "0.000000", 8);  // 0.000ddd: at most 3 zeros, else scientific is shorter
    std::memcpy(out + 2 - point, first, 16);
    return out + 2 - point + n;
  }
  out[0] = first[0];  // d.ddde-XX (a lone digit's '.' is overwritten by the 'e')
  out[1] = '.';
  std::memcpy(out + 2, first + 1, 16);
  out += n > 1 ? n + 1 : 1;
  const int scientific_exponent = point - 1;
  out[0] = 'e';
  out[1] = scientific_exponent < 0 ? '-' : '+';
  std::memcpy(out + 2, digit_pairs + 2 * std::abs(scientific_exponent), 2);
  return out + 4;
}

JsonWriter::JsonWriter(std::ostream& out, std::size_t buffer_bytes)
    : out_(out), capacity_(std::max(buffer_bytes, 4 * max_number_chars)) {
  buffer_ = std::make_unique<char[]>(capacity_);
}

void JsonWriter::flush() {
  if (pos_ == 0) return;
  out_.write(buffer_.get(), static_cast<std::streamsize>(pos_));
  pos_ = 0;
}

void JsonWriter::put_raw(const char* text, std::size_t length) {
  if (capacity_ - pos_ < length) {
    flush();
    if (length > capacity_) {  // larger than the whole buffer: straight through
      out_.write(text, static_cast<std::streamsize>(length));
      return;
    }
  }
  std::memcpy(buffer_.get() + pos_, text, length);
  pos_ += length;
}

void JsonWriter::separate() {
  if (after_key_) {
    after_key_ = false;
  } else if (!open_.empty()) {
    Open& open = open_.back();
    if (open == object_with_values || open == array_with_values) {
      reserve(1);
      put(',');
    } else {
      open = open == object_empty ? object_with_values : array_with_values;
    }
  }
  if (newline_pending_) {
    newline_pending_ = false;
    reserve(1);
    put('\n');
  }
}

void JsonWriter::close(bool object) {
  const bool open_object = !open_.empty() && (open_.back() == object_empty || open_.back() == object_with_values);
  const bool open_array = !open_.empty() && (open_.back() == array_empty || open_.back() == array_with_values);
  if (after_key_ || (object ? !open_object : !open_array))
    throw std::logic_error(object ? "JsonWriter: end_object without an open object"
                                  : "JsonWriter: end_array without an open array");
  open_.pop_back();
  reserve(1);
  put(object ? '}' : ']');
}

void JsonWriter::begin_object() {
  separate();
  reserve(1);
  put('{');
  open_.push_back(object_empty);
}

void JsonWriter::end_object() { close(true); }

void JsonWriter::begin_array() {
  separate();
  reserve(1);
  put('[');
  open_.push_back(array_empty);
}

void JsonWriter::end_array() { close(false); }

void JsonWriter::key(std::string_view name) {
  string(name);
  reserve(1);
  put(':');
  after_key_ = true;
}

void JsonWriter::string(std::string_view text) {
  separate();
  reserve(1);
  put('"');
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    std::size_t run_end = i;
    while (run_end < n && !needs_escape(s[run_end])) ++run_end;
    if (run_end > i) {
      put_raw(text.data() + i, run_end - i);
      i = run_end;
      continue;
    }
    const unsigned char c = s[i];
    reserve(6);
    if (c >= 0x80) {
      const std::size_t length = utf8_sequence_length(s + i, n - i);
      if (length == 0) {
        put_raw("\\ufffd", 6);  // not UTF-8: the replacement character keeps the file valid JSON
        ++i;
      } else {
        put_raw(text.data() + i, length);
        i += length;
      }
      continue;
    }
    switch (c) {
      case '"': put_raw("\\\"", 2); break;
      case '\\': put_raw("\\\\", 2); break;
      case '\n': put_raw("\\n", 2); break;
      case '\r': put_raw("\\r", 2); break;
      case '\t': put_raw("\\t", 2); break;
      case '\b': put_raw("\\b", 2); break;
      case '\f': put_raw("\\f", 2); break;
      default: {
        static constexpr char hex[] = "0123456789abcdef";
        const char escaped[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
        put_raw(escaped, 6);
      }
    }
    ++i;
  }
  reserve(1);
  put('"');
}

void JsonWriter::boolean(bool value) {
  separate();
  if (value) put_raw("true", 4);
  else put_raw("false", 5);
}

void JsonWriter::null() {
  separate();
  put_raw("null", 4);
}

void JsonWriter::integer(std::int64_t value) {
  separate();
  reserve(max_number_chars);
  pos_ = static_cast<std::size_t>(std::to_chars(buffer_.get() + pos_, buffer_.get() + capacity_, value).ptr -
                                  buffer_.get());
}

void JsonWriter::unsigned_integer(std::uint64_t value) {
  separate();
  reserve(max_number_chars);
  pos_ = static_cast<std::size_t>(std::to_chars(buffer_.get() + pos_, buffer_.get() + capacity_, value).ptr -
                                  buffer_.get());
}

// null for NaN and infinities (counted), "-0.0" for negative zero, else the shortest text.
char* JsonWriter::put_float(char* at, float value) {
  if (!std::isfinite(value)) {
    ++non_finite_;
    std::memcpy(at, "null", 4);
    return at + 4;
  }
  if (value == 0.0f) {
    if (!std::signbit(value)) {
      *at = '0';
      return at + 1;
    }
    std::memcpy(at, "-0.0", 4);
    return at + 4;
  }
  return write_shortest_float(at, value);
}

void JsonWriter::number(float value) {
  separate();
  reserve(max_number_chars);
  pos_ = static_cast<std::size_t>(put_float(buffer_.get() + pos_, value) - buffer_.get());
}

void JsonWriter::number(double value) {
  separate();
  reserve(max_number_chars);
  char* at = buffer_.get() + pos_;
  if (!std::isfinite(value)) {
    std::memcpy(at, "null", 4);
    pos_ += 4;
    ++non_finite_;
  } else if (value == 0.0 && std::signbit(value)) {
    std::memcpy(at, "-0.0", 4);
    pos_ += 4;
  } else {
    pos_ = static_cast<std::size_t>(std::to_chars(at, buffer_.get() + capacity_, value).ptr - buffer_.get());
  }
}

void JsonWriter::numbers(const float* values, std::size_t count) {
  separate();
  reserve(1);
  put('[');
  // Room for a chunk of numbers is made once, so the loop itself only formats.
  const std::size_t chunk_limit = capacity_ / (max_number_chars + 1);
  for (std::size_t i = 0; i < count;) {
    const std::size_t chunk = std::min(count - i, chunk_limit);
    reserve(chunk * (max_number_chars + 1));
    char* at = buffer_.get() + pos_;
    for (const std::size_t end = i + chunk; i < end; ++i) {
      if (i != 0) *at++ = ',';
      at = put_float(at, values[i]);
    }
    pos_ = static_cast<std::size_t>(at - buffer_.get());
  }
  reserve(1);
  put(']');
}

void JsonWriter::finish() {
  if (!open_.empty() || after_key_) throw std::logic_error("JsonWriter: finish with an open container");
  reserve(1);
  put('\n');
  flush();
}

}  // namespace maskviz
