// Backward of every activation, x = pre, y = out, g = dout (TensorFlow's registered gradients):
//   linear        dx = g
//   relu          dx = g · [y > 0]                         (ReluGrad)
//   tanh          dx = g · (1 - y²)                         (TanhGrad)
//   sigmoid       dx = g · y · (1 - y)                      (SigmoidGrad)
//   hard_sigmoid  y = relu6(x + 3) / 6:  dx = g / 6 · [0 < x + 3 < 6]   (Relu6Grad)
//   elu           dx = g if x > 0, else g · (y + 1)          (EluGrad)
//   gelu (erf)    dx = g · (Φ(x) + x · φ(x)),  Φ(x) = ½(1 + erf(x/√2)),  φ(x) = e^(-x²/2)/√(2π)
//   swish         y = x · σ(x):  dx = g · (σ(x) + x · σ(x)(1 - σ(x)))
//   softmax       dx = y ⊙ (g - Σ y ⊙ g)                   per vector of n
#include "layers/activations_backward.h"

#include <cmath>

namespace maskviz {

void activation_backward(Activation activation, const float* pre, const float* out, const float* dout, float* dpre,
                         std::size_t rows, std::size_t n) {
  const std::size_t count = rows * n;
  switch (activation) {
    case Activation::linear:
      for (std::size_t i = 0; i < count; ++i) dpre[i] = dout[i];
      return;
    case Activation::relu:
      for (std::size_t i = 0; i < count; ++i) dpre[i] = out[i] > 0.0f ? dout[i] : 0.0f;
      return;
    case Activation::tanh:
      for (std::size_t i = 0; i < count; ++i) dpre[i] = dout[i] * (1.0f - out[i] * out[i]);
      return;
    case Activation::sigmoid:
      for (std::size_t i = 0; i < count; ++i) dpre[i] = dout[i] * out[i] * (1.0f - out[i]);
      return;
    case Activation::hard_sigmoid:
      for (std::size_t i = 0; i < count; ++i) {
        const float r = pre[i] + 3.0f;
        dpre[i] = r > 0.0f && r < 6.0f ? dout[i] / 6.0f : 0.0f;
      }
      return;
    case Activation::elu:
      for (std::size_t i = 0; i < count; ++i) dpre[i] = pre[i] > 0.0f ? dout[i] : dout[i] * (out[i] + 1.0f);
      return;
    case Activation::gelu: {
      const float inv_sqrt_2pi = 0.3989422804014327f;
      for (std::size_t i = 0; i < count; ++i) {
        const float x = pre[i];
        const float cdf = 0.5f * (1.0f + std::erf(x / std::sqrt(2.0f)));
        dpre[i] = dout[i] * (cdf + x * inv_sqrt_2pi * std::exp(-0.5f * x * x));
      }
      return;
    }
    case Activation::swish:
      for (std::size_t i = 0; i < count; ++i) {
        const float s = 1.0f / (1.0f + std::exp(-pre[i]));
        dpre[i] = dout[i] * (s + pre[i] * s * (1.0f - s));
      }
      return;
    case Activation::softmax:
      for (std::size_t r = 0; r < rows; ++r) {
        const float* y = out + r * n;
        const float* g = dout + r * n;
        float dot = 0;
        for (std::size_t i = 0; i < n; ++i) dot += y[i] * g[i];
        float* d = dpre + r * n;
        for (std::size_t i = 0; i < n; ++i) d[i] = y[i] * (g[i] - dot);
      }
      return;
  }
}

}  // namespace maskviz
