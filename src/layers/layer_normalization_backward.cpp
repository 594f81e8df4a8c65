// Backward of LayerNormalization (layer_normalization.cpp) over the last axis of length D, per row,
// with dy = ∂loss/∂y. The forward y = x·inv + (β − μ·inv), inv = r·γ, r = rsqrt(σ² + ε), is
// y = x̂·γ + β with x̂ = (x − μ)·r, so (llm.c's layernorm_backward):
//   (3') dβ += dy            dγ += dy ⊙ x̂
//   (2') g = dy ⊙ γ
//   (1') dx = r · (g − mean_d(g) − x̂ · mean_d(g ⊙ x̂))
// The σ² path: ∂σ²/∂x_j = 2(x_j − μ)/D, whether or not TensorFlow's moments stops the gradient through
// μ inside σ² (Σ_d (x_d − μ) = 0). The mask plays no part: padded rows are normalized and differentiated
// like any other, and a masked loss sends them dy = 0.
#include <cmath>

#include "layers/backward.h"

namespace maskviz {

void layer_normalization_backward(const BackwardArgs& args, const Tensor* gamma, const Tensor* beta, float epsilon,
                                  BackwardResult& result) {
  const std::size_t D = args.input.row_length(), rows = args.input.size() / D;
  Tensor dgamma({D}), dbeta({D});
  result.d_input = Tensor(args.input.shape);
  std::vector<float> xhat(D), g(D);
  for (std::size_t r = 0; r < rows; ++r) {
    const float* x = args.input.row(r);          // [D]
    const float* dy = args.d_output.row(r);      // [D]
    float* dx = result.d_input.row(r);           // [D]
    float mean = 0, var = 0;
    for (std::size_t d = 0; d < D; ++d) mean += x[d];
    mean /= static_cast<float>(D);
    for (std::size_t d = 0; d < D; ++d) var += (x[d] - mean) * (x[d] - mean);
    var /= static_cast<float>(D);
    const float rs = 1.0f / std::sqrt(var + epsilon);
    float mean_g = 0, mean_gx = 0;
    for (std::size_t d = 0; d < D; ++d) {
      xhat[d] = (x[d] - mean) * rs;
      dbeta.values[d] += dy[d];                                                // (3')
      dgamma.values[d] += dy[d] * xhat[d];
      g[d] = dy[d] * (gamma ? gamma->values[d] : 1.0f);                        // (2')
      mean_g += g[d];
      mean_gx += g[d] * xhat[d];
    }
    mean_g /= static_cast<float>(D);
    mean_gx /= static_cast<float>(D);
    for (std::size_t d = 0; d < D; ++d) dx[d] = rs * (g[d] - mean_g - xhat[d] * mean_gx);  // (1')
  }
  if (gamma) result.grad.weights.push_back({"gamma", std::move(dgamma)});
  if (beta) result.grad.weights.push_back({"beta", std::move(dbeta)});
}

}  // namespace maskviz
