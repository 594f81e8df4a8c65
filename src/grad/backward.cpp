// The gradient driver: the engine's Functional walk once more (engine.cpp, a Sequential stack being its
// simplest case), keeping every tensor and the masks each layer was called with (GraphTape), then backwards:
//   d[out] = ∂loss/∂output of the last layer (and ∂loss/∂logits when the loss read _keras_logits)
//   for each layer in reverse execution order, reading tensors x_1..x_k and writing y:
//     (d_x_1..d_x_k, weight gradients) = layer.backward(x, masks, d[y])
//     d[x_j] += d_x_j        a tensor read by several layers (a residual branch, self-attention's query
//                            and value) gets the sum of what each reader sends back
// then one optimizer step on every layer's weights.
#include "grad/backward.h"

#include <fmt/format.h>

#include "core/errors.h"
#include "engine/engine.h"
#include "grad/loss_backward.h"
#include "grad/optimizer.h"
#include "layers/rnn.h"
#include "loss/loss.h"

namespace maskviz {

void Layer::backward(const BackwardArgs&, BackwardResult&) const {
  throw ScenarioError("", fmt::format("maskviz has no backward pass for {} layer \"{}\"", type_, name_));
}

namespace {

// d += g, starting from g where nothing arrived yet.
void accumulate(Tensor& d, Tensor g) {
  if (d.values.empty()) {
    d = std::move(g);
    return;
  }
  for (std::size_t k = 0; k < d.size(); ++k) d.values[k] += g.values[k];
}

}  // namespace

TrainSpec train_spec_of(const Scenario& scenario) { return scenario.train.value_or(TrainSpec{}); }

std::optional<GradRecord> compute_gradients(const Scenario& scenario, RunMode mode, bool record_steps) {
  if (!scenario.loss || !scenario.target) return std::nullopt;
  GraphTape tape;
  run_model(scenario, mode, Detail::outputs, &tape);
  const std::size_t out = tape.model_inputs + scenario.layers.size() - 1;  // the model's output: the last layer
  const Tensor* logits = tape.logits[out] ? &*tape.logits[out] : nullptr;
  const LossRecord loss = compute_loss(*scenario.loss, tape.values[out], logits, tape.output_masks.back(),
                                       *scenario.target);
  LossGradient lg = loss_backward(*scenario.loss, tape.values[out], logits, loss, *scenario.target);

  GradRecord record;
  record.loss = loss.value;
  record.layers.resize(scenario.layers.size());
  // Per tensor: ∂loss/∂tensor, summed over its readers, and ∂loss/∂ the logits behind it.
  std::vector<Tensor> d(tape.values.size());
  std::vector<std::optional<Tensor>> d_logits(tape.values.size());
  d[out] = std::move(lg.d_pred);
  d_logits[out] = std::move(lg.d_logits);
  for (auto it = scenario.execution_order.rbegin(); it != scenario.execution_order.rend(); ++it) {
    const std::size_t i = *it;
    const Layer& layer = *scenario.layers[i];
    const auto& sources = scenario.wiring[i].sources;
    const std::size_t y = tape.model_inputs + i;
    // A layer whose output no path takes to the loss sends back zeros (TensorFlow: no gradient at all).
    if (d[y].values.empty()) d[y] = Tensor(tape.values[y].shape);
    BackwardArgs args{tape.values[tape.at(sources[0])], tape.call_masks[i][0], d[y],
                      d_logits[y] ? &*d_logits[y] : nullptr, mode, record_steps};
    for (const NodeRef& source : sources) args.inputs.push_back(&tape.values[tape.at(source)]);
    args.input_masks = tape.call_masks[i];
    BackwardResult result;
    layer.backward(args, result);
    if (result.d_inputs.empty()) result.d_inputs.push_back(std::move(result.d_input));
    for (std::size_t j = 0; j < sources.size(); ++j) {
      const std::size_t x = tape.at(sources[j]);
      if (!result.d_inputs[j].values.empty()) accumulate(d[x], std::move(result.d_inputs[j]));
    }
    if (result.d_input_logits) {
      auto& dl = d_logits[tape.at(sources[0])];
      if (dl) accumulate(*dl, std::move(*result.d_input_logits));
      else dl = std::move(result.d_input_logits);
    }
    LayerGradient& g = record.layers[i];
    g = std::move(result.grad);
    g.name = layer.name();
    g.type = layer.type();
    g.output_gradient = std::move(d[y]);
    g.output_mask = tape.output_masks[i];
    g.logits_gradient = std::move(d_logits[y]);
  }

  record.train.spec = train_spec_of(scenario);
  for (std::size_t i = 0; i < scenario.layers.size(); ++i) {
    const auto& weights = scenario.layers[i]->weights();
    record.train.weights_before.emplace_back();
    for (const auto& w : weights) record.train.weights_before.back().push_back({w.name, w.value});
    record.train.weights_after.push_back(optimizer_step(record.train.spec, weights, record.layers[i].weights));
  }
  return record;
}

// Floats the per-step and per-lookup gradients of one run take (Layer::step_gradient_floats).
std::size_t step_gradient_floats(const Scenario& scenario) {
  std::size_t total = 0;
  for (const auto& layer : scenario.layers) total += layer->step_gradient_floats();
  return total;
}

std::string no_backward_reason(const Scenario& scenario) {
  for (const auto& layer : scenario.layers)
    if (!layer->has_backward())
      return fmt::format("maskviz has no backward pass for {} layers yet (layer \"{}\"), so this scenario has no "
                         "gradients", layer->type(), layer->name());
  return "";
}

void attach_gradients(const Scenario& scenario, Trace& trace) {
  if (!no_backward_reason(scenario).empty()) return;
  // Beyond this the per-step terms would dwarf the record; the weight gradients are always there.
  constexpr std::size_t kStepGradientBudget = std::size_t{4} << 20;  // floats per run (16 MB)
  const bool record_steps = trace.detail == Detail::full && step_gradient_floats(scenario) <= kStepGradientBudget;
  for (RunRecord* run : {&trace.masked, &trace.unmasked}) {
    auto g = compute_gradients(scenario, run->mode, record_steps);
    if (g) run->grad = std::make_shared<const GradRecord>(std::move(*g));
  }
}

}  // namespace maskviz
