// The gradient driver: the Sequential walk of engine.cpp once more, keeping each layer's input and the
// mask Keras handed to it, then backwards:
//   d_y = ∂loss/∂output of the last layer (and ∂loss/∂logits when the loss read _keras_logits)
//   for each layer from the last to the first: (d_x, weight gradients) = layer.backward(x, mask, d_y)
//   d_y of the layer before = d_x
// then one optimizer step on every layer's weights.
#include "grad/backward.h"

#include <fmt/format.h>

#include "core/errors.h"
#include "engine/mask_plan.h"
#include "grad/loss_backward.h"
#include "grad/optimizer.h"
#include "layers/rnn.h"
#include "loss/loss.h"

namespace maskviz {

void Layer::backward(const BackwardArgs&, BackwardResult&) const {
  throw ScenarioError("", fmt::format("maskviz has no backward pass for {} layer \"{}\"", type_, name_));
}

namespace {

struct ForwardTape {
  std::vector<Tensor> inputs;  // [L]: each layer's input
  std::vector<OptMask> masks;  // [L]: the mask handed to call()
  std::vector<OptMask> output_masks;  // [L]: the mask each layer handed on
  Tensor output;               // the last layer's output
  OptMask output_mask;
  std::optional<Tensor> keras_logits;
};

ForwardTape forward_again(const Scenario& scenario, RunMode mode) {
  ForwardTape tape;
  Tensor x = scenario.input;
  OptMask mask;
  std::optional<Tensor> logits;
  // The engine's own mask plan, so that the backward pass sees exactly the masks the forward saw.
  const std::vector<MaskAction> plan = plan_masks(scenario.layers, mode);
  for (std::size_t i = 0; i < scenario.layers.size(); ++i) {
    const Layer& layer = *scenario.layers[i];
    const OptMask call_mask = layer.supports_masking() ? mask : OptMask{};
    ForwardResult result;
    LayerRecord unused;
    layer.forward({x, call_mask, logits ? &*logits : nullptr, mode, Detail::outputs}, result, unused);
    tape.inputs.push_back(std::move(x));
    tape.masks.push_back(call_mask);
    mask = mask_after(plan[i], mask, std::move(result.mask));
    tape.output_masks.push_back(mask);
    x = std::move(result.output);
    logits = std::move(result.keras_logits);
  }
  tape.output = std::move(x);
  tape.output_mask = std::move(mask);
  tape.keras_logits = std::move(logits);
  return tape;
}

}  // namespace

TrainSpec train_spec_of(const Scenario& scenario) { return scenario.train.value_or(TrainSpec{}); }

std::optional<GradRecord> compute_gradients(const Scenario& scenario, RunMode mode, bool record_steps) {
  if (!scenario.loss || !scenario.target) return std::nullopt;
  const ForwardTape tape = forward_again(scenario, mode);
  const Tensor* logits = tape.keras_logits ? &*tape.keras_logits : nullptr;
  const LossRecord loss = compute_loss(*scenario.loss, tape.output, logits, tape.output_mask, *scenario.target);
  LossGradient lg = loss_backward(*scenario.loss, tape.output, logits, loss, *scenario.target);

  GradRecord record;
  record.loss = loss.value;
  record.layers.resize(scenario.layers.size());
  Tensor d_y = std::move(lg.d_pred);
  std::optional<Tensor> d_logits = std::move(lg.d_logits);
  for (std::size_t i = scenario.layers.size(); i-- > 0;) {
    const Layer& layer = *scenario.layers[i];
    BackwardResult result;
    layer.backward({tape.inputs[i], tape.masks[i], d_y, d_logits ? &*d_logits : nullptr, mode, record_steps}, result);
    LayerGradient& g = record.layers[i];
    g = std::move(result.grad);
    g.name = layer.name();
    g.type = layer.type();
    g.output_gradient = std::move(d_y);
    g.output_mask = tape.output_masks[i];
    g.logits_gradient = std::move(d_logits);
    d_y = std::move(result.d_input);
    d_logits = std::move(result.d_input_logits);
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
  // The backward driver walks a Sequential stack: each layer reads the one before it.
  for (std::size_t i = 0; i < scenario.wiring.size(); ++i) {
    const auto& sources = scenario.wiring[i].sources;
    const bool reads_previous = sources.size() == 1 && (i == 0 ? sources[0].model_input && sources[0].index == 0
                                                               : !sources[0].model_input && sources[0].index == i - 1);
    if (!reads_previous)
      return fmt::format("layer \"{}\" reads {} input{} of its own choosing: maskviz's backward pass covers "
                         "Sequential models only, so this model with branches has no gradients yet",
                         scenario.layers[i]->name(), sources.size(), sources.size() == 1 ? "" : "s");
  }
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
