// Backward of global pooling over time (pooling.cpp), x: [B, T, F], dy: [B, F]:
//   GlobalAveragePooling1D   y = Σ_t where(m, x, 0) / Σ_t m:   dx[b, t] = where(m[b,t], dy[b] / Σ_t m[b,t], 0)
//                            without a mask:                    dx[b, t] = dy[b] / T
//   GlobalMaxPooling1D       y = max_t x (padding included, the mask is dropped): TensorFlow's reduce_max
//                            gradient routes dy to the winners, shared equally among ties:
//                            dx[b, t, f] = dy[b, f] · [x[b,t,f] = y[b,f]] / #winners
// So a padded step that wins the max gets a real gradient.
#include "layers/backward.h"

namespace maskviz {

void global_average_pooling_backward(const BackwardArgs& args, BackwardResult& result) {
  const std::size_t B = args.input.dim(0), T = args.input.dim(1), F = args.input.dim(2);
  result.d_input = Tensor(args.input.shape);
  for (std::size_t b = 0; b < B; ++b) {
    float count = 0;
    for (std::size_t t = 0; t < T; ++t) count += !args.mask || args.mask->at(b, t) ? 1.0f : 0.0f;
    const float* dy = args.d_output.row(b);
    for (std::size_t t = 0; t < T; ++t) {
      if (args.mask && !args.mask->at(b, t)) continue;  // where: exactly 0
      float* dx = result.d_input.row(b * T + t);
      for (std::size_t f = 0; f < F; ++f) dx[f] = dy[f] / count;
    }
  }
}

void global_max_pooling_backward(const BackwardArgs& args, BackwardResult& result) {
  const std::size_t B = args.input.dim(0), T = args.input.dim(1), F = args.input.dim(2);
  result.d_input = Tensor(args.input.shape);
  for (std::size_t b = 0; b < B; ++b) {
    for (std::size_t f = 0; f < F; ++f) {
      float best = args.input.row(b * T)[f];
      for (std::size_t t = 1; t < T; ++t) best = std::max(best, args.input.row(b * T + t)[f]);
      float winners = 0;
      for (std::size_t t = 0; t < T; ++t) winners += args.input.row(b * T + t)[f] == best ? 1.0f : 0.0f;
      for (std::size_t t = 0; t < T; ++t)
        if (args.input.row(b * T + t)[f] == best) result.d_input.row(b * T + t)[f] = args.d_output.row(b)[f] / winners;
    }
  }
}

}  // namespace maskviz
