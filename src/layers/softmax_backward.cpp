// Backward of the Softmax layer (softmax.cpp) over the last axis, per row of length F, dy = ∂loss/∂y.
// The forward, with keep = the mask lined up with the input (true = keep):
//   (1) x' = where(keep, x, -1e9)   (2) s = softmax(x')   (3) y = where(keep, s, 0)
// TensorFlow's gradients (math_grad.py _SelectGradV2: the unselected branch gets exactly 0;
// nn_grad.py _SoftmaxGrad):
//   (3') ds = where(keep, dy, 0)
//   (2') dx' = (ds − Σ_f ds ⊙ s) ⊙ s
//   (1') dx = where(keep, dx', 0)          a masked entry gets exactly 0, whatever the row holds
// Without a mask: dx = (dy − Σ_f dy ⊙ y) ⊙ y.
#include <algorithm>
#include <cmath>

#include "layers/attention_core.h"
#include "layers/backward.h"

namespace maskviz {

void softmax_backward(const BackwardArgs& args, const std::vector<std::uint8_t>& keep, BackwardResult& result) {
  const std::size_t F = args.input.row_length(), rows = args.input.size() / F;
  result.d_input = Tensor(args.input.shape);
  std::vector<float> s(F), ds(F);
  for (std::size_t r = 0; r < rows; ++r) {
    const float* x = args.input.row(r);       // [F]
    const float* dy = args.d_output.row(r);   // [F]
    float* dx = result.d_input.row(r);        // [F]
    auto kept = [&](std::size_t f) { return keep.empty() || keep[r * F + f] != 0; };
    float max = -INFINITY, sum = 0;
    for (std::size_t f = 0; f < F; ++f) max = std::max(max, s[f] = kept(f) ? x[f] : kLargeNegative);  // (1)
    for (std::size_t f = 0; f < F; ++f) sum += (s[f] = std::exp(s[f] - max));
    for (std::size_t f = 0; f < F; ++f) s[f] /= sum;                                                   // (2)
    float dot = 0;
    for (std::size_t f = 0; f < F; ++f) dot += (ds[f] = kept(f) ? dy[f] : 0.0f) * s[f];              // (3')
    for (std::size_t f = 0; f < F; ++f) dx[f] = kept(f) ? (ds[f] - dot) * s[f] : 0.0f;               // (2'), (1')
  }
}

}  // namespace maskviz
