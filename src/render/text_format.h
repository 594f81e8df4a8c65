// Numbers, vectors and paragraphs as text. Every number in the text output goes through `number`, so
// --precision means the same everywhere.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/tensor.h"

namespace maskviz {

// Fixed-point with `precision` digits after the point; "nan", "inf", "-inf" as numpy prints them. A value
// that rounds to zero at this precision (-0.0, -0.00002) prints as "0.0000": zero never carries a sign.
std::string number(float value, int precision);
// A row vector in brackets, each number padded to the widest.
std::string vector_text(const float* values, std::size_t n, int precision);

// A single quantity (a loss, a difference): as `number`, but a value too small to show a digit at
// this precision is written in scientific notation, so that 0.00002 never reads as 0.0000.
std::string scalar(float value, int precision);

// Hand arithmetic on printed numbers. Every derived number maskviz prints (a product, a sum, a mean, a
// difference) is computed from the unrounded float32 values, as Keras computes it; a reader who redoes it
// on the rounded operands can miss by one in the last digit. `ArithmeticCheck` collects the first place
// where that happens, so the renderer can say so there, with the remedy (--precision).
double as_printed(float value, int precision);  // the value a reader reads: rounded to `precision` decimals
// "|a − b|" as printed, a negative b in parentheses.
std::string printed_gap(float a, float b, int precision);
class ArithmeticCheck {
 public:
  explicit ArithmeticCheck(int precision) : precision_(precision) {}
  // `by_hand` is the arithmetic on printed operands, spelled in `how` ("2 × 1.6747"); `exact` the printed result.
  void check(double by_hand, float exact, std::string_view how);
  bool closes() const { return miss_.empty(); }
  // "the numbers are rounded to 4 decimals; each product, sum, mean and difference is computed from the
  // unrounded float32 values, so on the printed digits 2 × 1.6747 = 3.3494 where 3.3495 is printed;
  // --precision 7 shows more digits". Empty when every check closed.
  std::string words() const;

 private:
  int precision_;
  std::string miss_;
};

// A count or index as text ("3"); a float that holds a whole number without its ".0000" (token ids, N/V = 2).
std::string whole_or_number(float value, int precision);

// "[ 0.1000 -0.2000  0.3000]": the entries right-aligned to one width, so a minus sign never shifts a column.

// Words of `text` wrapped to `width` columns; the first line starts with `first`, the others with `rest`.
std::vector<std::string> wrap(std::string_view text, std::size_t width, std::string_view first, std::string_view rest);

// "1 sequence", "3 sequences".
std::string plural(std::size_t count, std::string_view one, std::string_view many);

}  // namespace maskviz
