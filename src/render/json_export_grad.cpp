#include "render/json_export_grad.h"

#include <functional>

namespace maskviz {

namespace {

void write_values(JsonWriter& w, const Shape& shape, std::size_t axis, const float* data) {
  w.begin_array();
  std::size_t stride = 1;
  for (std::size_t a = axis + 1; a < shape.size(); ++a) stride *= shape[a];
  for (std::size_t i = 0; i < shape[axis]; ++i) {
    if (axis + 1 == shape.size()) w.number(data[i]);
    else write_values(w, shape, axis + 1, data + i * stride);
  }
  w.end_array();
}

void write_tensor(JsonWriter& w, const Tensor& t) {
  if (t.shape.empty()) {
    if (t.values.empty()) w.null();
    else w.number(t.values[0]);
    return;
  }
  write_values(w, t.shape, 0, t.data());
}

void write_by_name(JsonWriter& w, const std::vector<NamedTensor>& tensors) {
  w.begin_object();
  for (const auto& t : tensors) {
    w.key(t.name);
    write_tensor(w, t.value);
  }
  w.end_object();
}

}  // namespace

void write_layer_gradients(JsonWriter& w, const LayerGradient* grad,
                           const std::function<void(const char*, const std::function<void()>&)>& field) {
  field("gradients", [&] {
    if (grad == nullptr) w.null();
    else write_by_name(w, grad->weights);
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
  else write_by_name(w, step->contributions);
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
  for (const auto& layer : grad->train.weights_after) write_by_name(w, layer);
  w.end_array();
  w.end_object();
}

}  // namespace maskviz
