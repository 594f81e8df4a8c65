// The Functional walk (a Sequential model is its simplest case), with Keras 3's Layer.__call__ mask
// handling as engine/mask_plan.h states it and the masks kept on the tensors as Keras keeps them.
#include "engine/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "engine/mask_plan.h"
#include "grad/backward.h"
#include "loss/loss.h"

namespace maskviz {

namespace {

std::string keras_drop_warning(const Layer& layer) {
  return fmt::format("{} does not support masking: Keras 3 warns and drops the mask (\"Layer '{}' (of type {}) was "
                     "passed an input with a mask attached to it. However, this layer does not support masking and "
                     "will therefore destroy the mask information. Downstream layers will not see the mask.\")",
                     layer.type(), layer.name(), layer.type());
}

// Every tensor of the graph as a Functional model holds it: a model input or a layer's output, with the
// Keras mask attached to it (which MultiHeadAttention may clear later) and the logits behind it.
struct GraphTensors {
  std::vector<Tensor> values;                     // model inputs first, then one per layer
  std::vector<OptMask> masks;                     // [B, T], true = keep
  std::vector<std::optional<Tensor>> logits;      // the input of a final sigmoid/softmax
  std::vector<std::string> cleared_by;            // the layer that set a mask this tensor carried to None
  std::size_t model_inputs = 0;
  std::size_t at(const NodeRef& ref) const { return ref.model_input ? ref.index : model_inputs + ref.index; }
};

GraphTensors graph_tensors(const Scenario& scenario) {
  GraphTensors g;
  g.model_inputs = scenario.inputs.size();
  const std::size_t n = g.model_inputs + scenario.layers.size();
  g.values.resize(n);
  g.masks.resize(n);
  g.cleared_by.resize(n);
  g.logits.resize(n);
  // Functional.call attaches no mask to a model input here: tokens and values come without one.
  for (std::size_t i = 0; i < g.model_inputs; ++i) g.values[i] = scenario.inputs[i].values;
  return g;
}

// One layer called as Keras' Layer.__call__ calls it: the masks its input tensors carry now, what it does
// with them, its output and output mask; MultiHeadAttention then clears its inputs' masks.
LayerRecord call_layer(const Scenario& scenario, std::size_t i, GraphTensors& g, RunMode mode, Detail detail,
                       GraphTape* tape) {
  const Layer& layer = *scenario.layers[i];
  const LayerWiring& wiring = scenario.wiring[i];
  std::vector<const Tensor*> inputs;
  std::vector<OptMask> masks;
  std::vector<std::string> cleared_by;
  for (const NodeRef& source : wiring.sources) {
    inputs.push_back(&g.values[g.at(source)]);
    masks.push_back(g.masks[g.at(source)]);
    cleared_by.push_back(g.masks[g.at(source)] ? std::string() : g.cleared_by[g.at(source)]);
  }
  const bool arrives = std::any_of(masks.begin(), masks.end(), [](const OptMask& m) { return m.has_value(); });
  // Keras' previous_mask is the first argument's mask: the one an input-mask-keeping layer hands on.
  LayerRecord record = open_record(layer, masks.front(), layer.mask_action(arrives, mode), detail);
  record.inputs = wiring.names;
  record.input_roles = wiring.roles;
  record.input_masks = masks;
  record.input_masks_cleared_by = std::move(cleared_by);
  const OptMask no_mask;
  const std::optional<Tensor>& logits = g.logits[g.at(wiring.sources.front())];
  ForwardArgs args{*inputs.front(), layer.supports_masking() ? masks.front() : no_mask, logits ? &*logits : nullptr,
                   mode, detail};
  args.inputs = inputs;
  args.input_masks = layer.supports_masking() ? masks : std::vector<OptMask>(masks.size());
  if (tape) tape->call_masks[i] = args.input_masks;
  ForwardResult result;
  layer.forward(args, result, record);
  record.notes.insert(record.notes.end(), layer.config_notes().begin(), layer.config_notes().end());
  if (record.mask_action == MaskAction::dropped) {
    record.warnings.insert(record.warnings.begin(), keras_drop_warning(layer));
    record.notes.push_back("from here on there is no mask: every later layer and the loss treat padded steps "
                           "as real data, so the masked and unmasked runs agree from here.");
  }
  record.output_has_non_finite = std::any_of(result.output.values.begin(), result.output.values.end(),
                                             [](float v) { return !std::isfinite(v); });
  record.output = result.output;
  record.output_mask = mask_after(record.mask_action, masks.front(), std::move(result.mask));
  record.states = result.states;
  const std::size_t out = g.model_inputs + i;
  g.values[out] = std::move(result.output);
  g.masks[out] = record.output_mask;
  g.logits[out] = std::move(result.keras_logits);
  if (tape) tape->output_masks[i] = record.output_mask;
  if (layer.clears_input_masks())
    for (const NodeRef& source : wiring.sources)
      if (g.masks[g.at(source)]) {
        g.masks[g.at(source)].reset();
        g.cleared_by[g.at(source)] = layer.name();
      }
  return record;
}

}  // namespace

RunRecord run_model(const Scenario& scenario, RunMode mode, Detail detail, GraphTape* tape) {
  RunRecord run;
  run.mode = mode;
  run.execution_order = scenario.execution_order;
  GraphTensors g = graph_tensors(scenario);
  std::vector<LayerRecord> records(scenario.layers.size());
  if (tape) {
    tape->call_masks.assign(scenario.layers.size(), {});
    tape->output_masks.assign(scenario.layers.size(), {});
  }
  for (std::size_t i : scenario.execution_order) records[i] = call_layer(scenario, i, g, mode, detail, tape);
  run.layers = std::move(records);
  const std::size_t out = g.model_inputs + scenario.layers.size() - 1;  // the model's output: the last layer
  if (scenario.loss && scenario.target)
    run.loss = compute_loss(*scenario.loss, g.values[out], g.logits[out] ? &*g.logits[out] : nullptr, g.masks[out],
                            *scenario.target);
  if (tape) {
    tape->model_inputs = g.model_inputs;
    tape->values = std::move(g.values);
    tape->logits = std::move(g.logits);
  }
  return run;
}

Trace run_both(const Scenario& scenario, Detail detail) {
  Trace trace{&scenario, detail, run_model(scenario, RunMode::masked, detail),
              run_model(scenario, RunMode::unmasked, detail)};
  attach_gradients(scenario, trace);  // the backward pass of both runs, when there is a loss
  return trace;
}

}  // namespace maskviz
