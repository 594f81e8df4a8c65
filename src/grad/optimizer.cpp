// One step of Keras 3.15.1's optimizers from a fresh state (keras/src/optimizers/), float32, in order:
//   (0) weight decay, when set (base_optimizer.py _apply_weight_decay, before the update, on every
//       variable whatever its gradient):   w ← w - w · wd · lr
//   sgd (momentum 0, sgd.py):              w ← w - lr · g
//   adam / adamw (adam.py update_step, t = 1, m = v = 0 before):
//       m ← m + (g - m)(1 - β1)            v ← v + (g² - v)(1 - β2)
//       α = lr · √(1 - β2^t) / (1 - β1^t)
//       w ← w - m · α / (√v + ε)          ε outside the square root
// A weight with gradient exactly 0 does not move under sgd or adam (m = v = 0: 0 / ε = 0); weight decay
// moves it anyway. A NaN gradient makes the weight NaN.
#include "grad/optimizer.h"

#include <cmath>

namespace maskviz {

namespace {

void adam_update(const TrainSpec& s, const Tensor& g, Tensor& w) {
  const float beta_1_power = s.beta_1, beta_2_power = s.beta_2;  // t = 1
  const float alpha = s.learning_rate * std::sqrt(1.0f - beta_2_power) / (1.0f - beta_1_power);
  // Keras subtracts in Python (double) before casting: 1 - 0.9 rounds to 0.1f, not to 1 - 0.9f.
  const auto one_minus_b1 = static_cast<float>(1.0 - static_cast<double>(s.beta_1));
  const auto one_minus_b2 = static_cast<float>(1.0 - static_cast<double>(s.beta_2));
  for (std::size_t i = 0; i < w.size(); ++i) {
    const float m = (g.values[i] - 0.0f) * one_minus_b1;
    const float v = (g.values[i] * g.values[i] - 0.0f) * one_minus_b2;
    w.values[i] -= (m * alpha) / (std::sqrt(v) + s.epsilon);
  }
}

}  // namespace

std::vector<NamedTensor> optimizer_step(const TrainSpec& spec, const std::vector<Weight>& weights,
                                        const std::vector<NamedTensor>& grads) {
  std::vector<NamedTensor> after;
  for (std::size_t k = 0; k < weights.size(); ++k) {
    Tensor w = weights[k].value;
    const Tensor& g = grads[k].value;
    if (spec.weight_decay) {  // (0)
      const float wd = *spec.weight_decay;
      for (float& v : w.values) v -= v * wd * spec.learning_rate;
    }
    if (spec.optimizer == "sgd") {
      for (std::size_t i = 0; i < w.size(); ++i) w.values[i] -= spec.learning_rate * g.values[i];
    } else {
      adam_update(spec, g, w);
    }
    after.push_back({weights[k].name, std::move(w)});
  }
  return after;
}

}  // namespace maskviz
