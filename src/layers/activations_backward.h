// The derivatives of the Keras 3 activations, as TensorFlow's gradient functions compute them.
#pragma once

#include <cstddef>

#include "layers/activations.h"

namespace maskviz {

// dpre = dout · f'(pre) over `rows` contiguous vectors of length `n`. `pre` is the activation's input,
// `out` its output (f(pre)); dpre may alias dout.
void activation_backward(Activation activation, const float* pre, const float* out, const float* dout, float* dpre,
                         std::size_t rows, std::size_t n);

}  // namespace maskviz
