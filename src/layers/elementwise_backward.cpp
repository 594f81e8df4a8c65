// Backward of the layers that keep every value's place (elementwise.cpp, masking.cpp), dy = ∂loss/∂y:
//   Activation  dx = dy ⊙ f'(x), or ∂loss/∂logits when the loss read this sigmoid/softmax's logits x
//   Dropout     dx = dy                        inference: the identity
//   Flatten     dx = reshape(dy)
//   Masking     dx = where(m, dy, 0)           masked run: out = where(m, x, 0); the mask itself is
//                                              computed from x but has no gradient (a comparison)
// A linear Activation or a Dropout hands the logits behind its input on unchanged, so a gradient the loss
// sends to those logits goes on to the layer that made them (d_input_logits).
#include <algorithm>

#include "layers/activations_backward.h"
#include "layers/backward.h"

namespace maskviz {

void activation_layer_backward(const BackwardArgs& args, Activation activation, BackwardResult& result) {
  result.d_input = Tensor(args.input.shape);
  const std::size_t n = args.input.row_length(), rows = args.input.size() / n;
  if (args.d_logits != nullptr && keeps_keras_logits(activation)) {
    result.d_input = *args.d_logits;  // the logits are this layer's input
    return;
  }
  if (args.d_logits != nullptr) result.d_input_logits = *args.d_logits;  // linear: the logits are behind x
  Tensor y = args.input;
  apply_activation(activation, y.data(), rows, n);
  activation_backward(activation, args.input.data(), y.data(), args.d_output.data(), result.d_input.data(), rows, n);
}

void masking_backward(const BackwardArgs& args, float mask_value, BackwardResult& result) {
  result.d_input = args.d_output;  // [B, T, F]
  if (args.mode == RunMode::unmasked) return;
  const std::size_t rows = args.input.size() / args.input.row_length(), F = args.input.row_length();
  for (std::size_t r = 0; r < rows; ++r) {
    const float* x = args.input.row(r);
    if (std::all_of(x, x + F, [&](float v) { return v == mask_value; })) std::fill_n(result.d_input.row(r), F, 0.0f);
  }
}

}  // namespace maskviz
