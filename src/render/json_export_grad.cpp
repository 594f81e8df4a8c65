#include "render/json_export_grad.h"

#include <functional>

namespace maskviz {

void write_layer_gradients(JsonWriter& w, const LayerGradient* grad,
                           const std::function<void(const char*, const std::function<void()>&)>& field) {
  field("gradients", [&] {
    if (grad == nullptr) w.null();
    else write_named(w, grad->weights);
  });
  field("output_gradient", [&] {
    if (grad == nullptr) w.null();
    else write_tensor(w, grad->output_gradient);
  });
  field("input_gradients", [&] {
    if (grad == nullptr || grad->inputs.empty()) {
      w.null();
      return;
    }
    w.begin_object();
    for (const auto& in : grad->inputs) {
      w.key(in.role);
      write_tensor(w, in.gradient);
    }
    w.end_object();
  });
}

void write_step_gradient(JsonWriter& w, const StepGradient* step) {
  w.key("gradient");
  if (step == nullptr) w.null();
  else write_named(w, step->contributions);
}

void write_train(JsonWriter& w, const GradRecord* grad) {
  w.key("train");
  if (grad == nullptr) {
    w.null();
    return;
  }
  const TrainSpec& s = grad->train.spec;
  w.begin_object();
  w.key("optimizer");
  w.string(s.optimizer);
  w.key("learning_rate");
  w.number(s.learning_rate);
  if (s.optimizer != "sgd") {
    w.key("beta_1");
    w.number(s.beta_1);
    w.key("beta_2");
    w.number(s.beta_2);
    w.key("epsilon");
    w.number(s.epsilon);
  }
  w.key("weight_decay");
  if (s.weight_decay) w.number(*s.weight_decay);
  else w.null();
  w.key("weights_after");
  w.begin_array();
  for (const auto& layer : grad->train.weights_after) write_named(w, layer);
  w.end_array();
  w.end_object();
}

}  // namespace maskviz
