// The scenario's "train" block: one optimizer step from a fresh state, with Keras 3.15.1's defaults
// (keras/src/optimizers/sgd.py, adam.py, adamw.py):
//   sgd    learning_rate 0.01                       no momentum
//   adam   learning_rate 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7
//   adamw  as adam, weight_decay 0.004
// Any optimizer takes weight_decay (Keras' base optimizer applies it to every variable, before the update).
#include <fmt/format.h>

#include <cmath>

#include "core/errors.h"
#include "scenario/json_fields.h"
#include "scenario/scenario.h"

namespace maskviz {

namespace {

float read_positive(JsonFields& f, std::string_view key, double fallback, bool zero_allowed, std::string_view what) {
  const double v = f.number(key, fallback);
  if (!std::isfinite(v) || v < 0 || (!zero_allowed && v == 0))
    throw ScenarioError(f.pointer_of(key), fmt::format("{} is {}; expected {}", key, v, what));
  return static_cast<float>(v);
}

}  // namespace

std::optional<TrainSpec> read_train(JsonFields& top) {
  const Json* value = top.raw("train");
  if (value == nullptr) return std::nullopt;
  JsonFields f(*value, "/train", "a training step {\"optimizer\": \"sgd\", \"learning_rate\": 0.01}");
  TrainSpec spec;
  spec.optimizer = f.choice("optimizer", std::nullopt, {"sgd", "adam", "adamw"});
  const bool adam = spec.optimizer != "sgd";
  spec.learning_rate = read_positive(f, "learning_rate", adam ? 0.001 : 0.01, true, "a finite number >= 0");
  if (adam) {
    spec.beta_1 = read_positive(f, "beta_1", 0.9, true, "a finite number in [0, 1)");
    spec.beta_2 = read_positive(f, "beta_2", 0.999, true, "a finite number in [0, 1)");
    for (auto [key, v] : {std::pair{"beta_1", spec.beta_1}, std::pair{"beta_2", spec.beta_2}})
      if (v >= 1.0f) throw ScenarioError(f.pointer_of(key), fmt::format("{} is {}; expected a number in [0, 1)", key, v));
    spec.epsilon = read_positive(f, "epsilon", 1e-7, true, "a finite number >= 0");
  }
  if (f.has("weight_decay") || spec.optimizer == "adamw")
    spec.weight_decay = read_positive(f, "weight_decay", 0.004, true, "a finite number >= 0");
  f.finish();
  return spec;
}

}  // namespace maskviz
