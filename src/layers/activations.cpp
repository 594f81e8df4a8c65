#include "layers/activations.h"

#include <algorithm>
#include <cmath>

#include <Eigen/Core>

namespace maskviz {

const std::vector<std::string>& activation_names() {
  static const std::vector<std::string> names = {"linear", "relu", "tanh",  "sigmoid", "softmax",
                                                 "hard_sigmoid", "elu", "gelu", "swish"};
  return names;
}

Activation activation_from_name(const std::string& name) {
  const auto& names = activation_names();
  return static_cast<Activation>(std::find(names.begin(), names.end(), name) - names.begin());
}

const char* activation_name(Activation activation) {
  return activation_names().at(static_cast<std::size_t>(activation)).c_str();
}

const char* activation_symbol(Activation activation) {
  return activation == Activation::sigmoid ? "σ" : activation_name(activation);
}

namespace {

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

}  // namespace

void apply_activation(Activation activation, float* values, std::size_t rows, std::size_t n) {
  const std::size_t count = rows * n;
  switch (activation) {
    case Activation::linear: return;
    case Activation::relu:
      for (std::size_t i = 0; i < count; ++i) values[i] = std::max(values[i], 0.0f);
      return;
    // Eigen's vectorized tanh and logistic are the rational approximations TensorFlow's CPU kernels use.
    case Activation::tanh: {
      Eigen::Map<Eigen::ArrayXf> a(values, static_cast<Eigen::Index>(count));
      a = a.tanh();
      return;
    }
    case Activation::sigmoid: {
      Eigen::Map<Eigen::ArrayXf> a(values, static_cast<Eigen::Index>(count));
      a = a.logistic();
      return;
    }
    case Activation::hard_sigmoid:  // Keras 3: relu6(x + 3) / 6 (Keras 2 and tfjs used 0.2x + 0.5)
      for (std::size_t i = 0; i < count; ++i) values[i] = std::clamp(values[i] + 3.0f, 0.0f, 6.0f) / 6.0f;
      return;
    case Activation::elu:
      for (std::size_t i = 0; i < count; ++i) values[i] = values[i] > 0 ? values[i] : std::expm1(values[i]);
      return;
    case Activation::gelu:  // keras.activations.gelu defaults to approximate=False: the erf form
      for (std::size_t i = 0; i < count; ++i)
        values[i] = 0.5f * values[i] * (1.0f + std::erf(values[i] / std::sqrt(2.0f)));
      return;
    case Activation::swish:
      for (std::size_t i = 0; i < count; ++i) values[i] = values[i] * sigmoid(values[i]);
      return;
    case Activation::softmax:
      for (std::size_t r = 0; r < rows; ++r) {
        float* row = values + r * n;
        const float max = *std::max_element(row, row + n);
        float sum = 0;
        for (std::size_t i = 0; i < n; ++i) sum += (row[i] = std::exp(row[i] - max));
        for (std::size_t i = 0; i < n; ++i) row[i] /= sum;
      }
      return;
  }
}

}  // namespace maskviz
