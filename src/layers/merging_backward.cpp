// Backward of Add and Concatenate (merging.cpp), dy = ∂loss/∂y. Neither reads a mask, so neither does
// anything with one here: a padded step's gradient passes like any other.
//   Add          y = x_1 + … + x_k                 dx_i = dy
//   Concatenate  y = [x_1, …, x_k] (last axis)     dx_i = dy[..., offset_i : offset_i + F_i]
#include <algorithm>

#include "layers/backward.h"

namespace maskviz {

void add_backward(const BackwardArgs& args, BackwardResult& result) {
  for (std::size_t i = 0; i < args.inputs.size(); ++i) result.d_inputs.push_back(args.d_output);
}

void concatenate_backward(const BackwardArgs& args, BackwardResult& result) {
  const std::size_t F = args.d_output.row_length(), rows = args.d_output.size() / F;  // dy: [rows, F]
  std::size_t offset = 0;
  for (const Tensor* x : args.inputs) {
    const std::size_t Fi = x->row_length();
    Tensor dx(x->shape);  // [rows, F_i]
    for (std::size_t r = 0; r < rows; ++r) std::copy_n(args.d_output.row(r) + offset, Fi, dx.row(r));
    result.d_inputs.push_back(std::move(dx));
    offset += Fi;
  }
}

}  // namespace maskviz
