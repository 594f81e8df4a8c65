// Eigen views over maskviz tensors. Only the math files include this.
#pragma once

#include <Eigen/Core>

#include "core/tensor.h"

namespace maskviz {

using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatMap = Eigen::Map<Mat>;
using ConstMatMap = Eigen::Map<const Mat>;
// Every T-th row of a [B*T, C] matrix: the rows of one time step across the batch.
using ConstStridedRows = Eigen::Map<const Mat, 0, Eigen::OuterStride<>>;
// n contiguous floats (one gate of one row) for elementwise array arithmetic.
using ArrayMap = Eigen::Map<Eigen::ArrayXf>;
using ConstArrayMap = Eigen::Map<const Eigen::ArrayXf>;

// A tensor seen as a matrix [rows, last axis].
inline ConstMatMap as_matrix(const Tensor& t) {
  const auto cols = static_cast<Eigen::Index>(t.row_length());
  return ConstMatMap(t.data(), static_cast<Eigen::Index>(t.size()) / cols, cols);
}
inline MatMap as_matrix(Tensor& t) {
  const auto cols = static_cast<Eigen::Index>(t.row_length());
  return MatMap(t.data(), static_cast<Eigen::Index>(t.size()) / cols, cols);
}

inline Tensor row_tensor(const float* values, std::size_t n) {
  return Tensor({n}, std::vector<float>(values, values + n));
}

}  // namespace maskviz
