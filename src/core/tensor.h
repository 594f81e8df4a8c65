// Plain data for tensors and masks. Row-major float32, the only dtype Keras uses here.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

namespace maskviz {

using Shape = std::vector<std::size_t>;

inline std::size_t element_count(const Shape& shape) {
  return std::accumulate(shape.begin(), shape.end(), std::size_t{1},
                         [](std::size_t a, std::size_t b) { return a * b; });
}

std::string shape_text(const Shape& shape);  // "[2, 4, 3]"

struct Tensor {
  Shape shape;
  std::vector<float> values;  // row-major, element_count(shape) entries

  Tensor() = default;
  explicit Tensor(Shape s) : shape(std::move(s)), values(element_count(shape), 0.0f) {}
  Tensor(Shape s, std::vector<float> v) : shape(std::move(s)), values(std::move(v)) {}

  std::size_t rank() const { return shape.size(); }
  std::size_t size() const { return values.size(); }
  std::size_t dim(std::size_t axis) const { return shape.at(axis); }
  float* data() { return values.data(); }
  const float* data() const { return values.data(); }
  // The last axis is contiguous: row(i) is the i-th vector along it.
  std::size_t row_length() const { return shape.empty() ? 1 : shape.back(); }
  const float* row(std::size_t i) const { return values.data() + i * row_length(); }
  float* row(std::size_t i) { return values.data() + i * row_length(); }
};

// A Keras mask: [batch, time], true = keep (a valid step), false = masked (padding).
struct Mask {
  std::size_t batch = 0;
  std::size_t time = 0;
  std::vector<std::uint8_t> keep;  // [batch, time]

  Mask() = default;
  Mask(std::size_t b, std::size_t t, bool value = true) : batch(b), time(t), keep(b * t, value ? 1 : 0) {}
  bool at(std::size_t b, std::size_t t) const { return keep[b * time + t] != 0; }
  void set(std::size_t b, std::size_t t, bool value) { keep[b * time + t] = value ? 1 : 0; }
  std::size_t valid_count() const { return static_cast<std::size_t>(std::count(keep.begin(), keep.end(), 1)); }
  bool operator==(const Mask&) const = default;
};

using OptMask = std::optional<Mask>;

}  // namespace maskviz
