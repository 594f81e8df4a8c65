// The Sequential walk, with Keras 3's Layer.__call__ mask handling as engine/mask_plan.h states it.
#include "engine/engine.h"

#include <fmt/format.h>

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

}  // namespace

RunRecord run_model(const Scenario& scenario, RunMode mode, Detail detail) {
  RunRecord run;
  run.mode = mode;
  Tensor x = scenario.input;           // [B, T] tokens or [B, T, F] values
  OptMask mask;                        // [B, T], true = keep
  std::optional<Tensor> keras_logits;  // the input of a final sigmoid/softmax, for the crossentropy losses
  const std::vector<MaskAction> plan = plan_masks(scenario.layers, mode);

  for (std::size_t i = 0; i < scenario.layers.size(); ++i) {
    const Layer& layer = *scenario.layers[i];
    LayerRecord record = open_record(layer, mask, plan[i], detail);
    const OptMask no_mask;
    const ForwardArgs args{x, layer.supports_masking() ? mask : no_mask, keras_logits ? &*keras_logits : nullptr,
                           mode, detail};
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
    record.output_mask = mask_after(record.mask_action, mask, std::move(result.mask));
    record.states = result.states;
    x = std::move(result.output);
    mask = record.output_mask;
    keras_logits = std::move(result.keras_logits);
    run.layers.push_back(std::move(record));
  }
  if (scenario.loss && scenario.target)
    run.loss = compute_loss(*scenario.loss, x, keras_logits ? &*keras_logits : nullptr, mask, *scenario.target);
  return run;
}

Trace run_both(const Scenario& scenario, Detail detail) {
  Trace trace{&scenario, detail, run_model(scenario, RunMode::masked, detail),
              run_model(scenario, RunMode::unmasked, detail)};
  attach_gradients(scenario, trace);  // the backward pass of both runs, when there is a loss
  return trace;
}

}  // namespace maskviz
