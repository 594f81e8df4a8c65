// The cells every table of a layer is made of: numbers, shapes and the "b=0 t=1 ■" label of a step.
#pragma once

#include <fmt/format.h>

#include <optional>
#include <vector>

#include "render/text_format.h"
#include "render/text_printer.h"

namespace maskviz {

inline Cell num(float v, int precision, Tone tone = Tone::plain) { return {number(v, precision), tone}; }

inline void append_numbers(std::vector<Cell>& cells, const float* values, std::size_t n, int precision,
                           Tone tone = Tone::plain) {
  for (std::size_t i = 0; i < n; ++i) cells.push_back(num(values[i], precision, tone));
}

inline std::vector<Cell> numbers(const Tensor& t, int precision, Tone tone = Tone::plain) {
  std::vector<Cell> cells;
  append_numbers(cells, t.data(), t.size(), precision, tone);
  return cells;
}

inline Cell shape_cell(const Shape& shape) { return {shape_text(shape), Tone::dim}; }

// The label of one (sequence, step) row: "b=0 t=1 □"; "b=0 k=0 t=3 □" in processing order.
inline Span step_label(const Printer& p, std::size_t b, std::size_t t, std::optional<bool> keep,
                       std::optional<std::size_t> k = std::nullopt) {
  Span label{{k ? fmt::format("b={} k={} t={}", b, *k, t) : fmt::format("b={} t={}", b, t), Tone::plain}};
  if (keep) {
    label.push_back({" ", Tone::plain});
    label.push_back({p.style().mask_cell(*keep), *keep ? Tone::valid : Tone::masked});
  }
  return label;
}

inline std::optional<bool> mask_at(const OptMask& mask, std::size_t b, std::size_t t) {
  if (!mask || b >= mask->batch || t >= mask->time) return std::nullopt;
  return mask->at(b, t);
}

}  // namespace maskviz
