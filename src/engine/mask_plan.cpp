#include "engine/mask_plan.h"

namespace maskviz {

bool hands_on(MaskAction action) {
  switch (action) {
    case MaskAction::created:
    case MaskAction::merged:
    case MaskAction::passed_on:
    case MaskAction::consumed_passed_on: return true;
    case MaskAction::none:
    case MaskAction::consumed:
    case MaskAction::dropped:
    case MaskAction::switched_off: return false;
  }
  return false;
}

OptMask mask_after(MaskAction action, const OptMask& arrived, OptMask made) {
  if (action == MaskAction::created || action == MaskAction::merged) return made;
  return hands_on(action) ? arrived : OptMask{};
}

std::vector<MaskAction> plan_masks(const std::vector<std::unique_ptr<Layer>>& layers, RunMode mode) {
  std::vector<MaskAction> plan;
  bool arrives = false;
  for (const auto& layer : layers) {
    plan.push_back(layer->mask_action(arrives, mode));
    arrives = hands_on(plan.back());
  }
  return plan;
}

LayerRecord open_record(const Layer& layer, const OptMask& arrived, MaskAction action, Detail detail) {
  LayerRecord record;
  record.name = layer.name();
  record.type = layer.type();
  record.config = layer.config();
  record.input_shape = layer.input_shape();
  record.output_shape = layer.output_shape();
  record.input_mask = arrived;
  record.mask_action = action;
  record.mask_use = layer.mask_use();
  record.detail = detail;
  record.weights = layer.weights();
  return record;
}

}  // namespace maskviz
