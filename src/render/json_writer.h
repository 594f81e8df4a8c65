// A streaming JSON writer: each value is formatted straight into one large buffer, and the buffer is
// handed to the stream whenever it fills. A document of any size needs the buffer's memory and no more,
// where building a DOM first (nlohmann::json) needs several times the size of the data it holds.
//
// Numbers: a float32 is written as the shortest text that reads back as the same float32, character
// for character what std::to_chars writes (write_shortest_float below, its fast path); negative zero as
// "-0.0" so that readers which parse "-0" as the integer 0 keep the sign. NaN and infinities are not
// JSON: they become null, and the writer counts them so that the caller can say where and why.
//
// Strings: UTF-8 passes through; '"', '\\' and control characters are escaped; a byte sequence that is
// not UTF-8 becomes U+FFFD, so that the document is always valid JSON.
//
// The writer places commas and colons itself: callers say begin_object / key / value / end_object.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string_view>
#include <vector>

namespace maskviz {

// Writes the shortest text that reads back as `value` (finite, not zero) and returns its end: the same
// characters as std::to_chars(out, ..., value), in about half the time. Needs 32 bytes at `out`: it may
// write scratch bytes past the end it returns.
char* write_shortest_float(char* out, float value);

class JsonWriter {
 public:
  static constexpr std::size_t default_buffer_bytes = std::size_t{1} << 20;

  explicit JsonWriter(std::ostream& out, std::size_t buffer_bytes = default_buffer_bytes);
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  void begin_object();
  void end_object();
  void begin_array();
  void end_array();
  void key(std::string_view name);

  void string(std::string_view text);
  void boolean(bool value);
  void null();
  void integer(std::int64_t value);
  void unsigned_integer(std::uint64_t value);
  void number(float value);   // shortest round trip; non-finite -> null (counted)
  void number(double value);  // for config values such as a dropout rate; same rules
  // [v0, v1, ...]: the hot path for tensors.
  void numbers(const float* values, std::size_t count);

  // Starts the next value or key on a new line (after its comma), so that `head` and `less` show one
  // layer or step per line.
  void newline() { newline_pending_ = true; }

  // How many NaN or infinite numbers were written as null so far.
  std::size_t non_finite_count() const { return non_finite_; }

  // Ends the document with a newline and hands the rest of the buffer to the stream. Throws
  // std::logic_error if a container is still open.
  void finish();

 private:
  void separate();  // the comma before a value or key, unless it is the first in its container
  void close(bool object);
  void reserve(std::size_t bytes) {
    if (capacity_ - pos_ < bytes) flush();
  }
  void put(char c) { buffer_[pos_++] = c; }
  void put_raw(const char* text, std::size_t length);
  char* put_float(char* at, float value);  // needs max_number_chars free at `at`
  void flush();

  static constexpr std::size_t max_number_chars = 32;  // the longest float32 text is 15: -1.17549435e-38

  std::ostream& out_;
  std::unique_ptr<char[]> buffer_;
  std::size_t capacity_;
  std::size_t pos_ = 0;
  enum Open : std::uint8_t { object_empty, object_with_values, array_empty, array_with_values };
  std::vector<Open> open_;  // one per open object or array, innermost last
  bool after_key_ = false;
  bool newline_pending_ = false;
  std::size_t non_finite_ = 0;
};

}  // namespace maskviz
