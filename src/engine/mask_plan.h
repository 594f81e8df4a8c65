// Keras 3's mask handling in Layer.__call__ (keras/src/layers/layer.py), in one place for every layer:
//   - a layer receives the mask of its input, or none when it does not support masking;
//   - what it hands on follows from its mask action (Layer::mask_action, Keras' compute_mask):
//     passed_on and consumed_passed_on hand on the mask that arrived, created the layer's own, the
//     others none;
//   - a layer that does not support masking drops an arriving mask, and Keras warns.
// The engine walks the model with it, and `validate` shows the same plan without running anything.
#pragma once

#include <memory>
#include <vector>

#include "engine/record.h"
#include "layers/layer.h"

namespace maskviz {

// Whether a mask leaves a layer that does `action` with it.
bool hands_on(MaskAction action);

// The mask that leaves a layer: the one that arrived, the one the layer `made`, or none.
OptMask mask_after(MaskAction action, const OptMask& arrived, OptMask made);

// Per layer, what it does with a mask in a run of `mode`, from the first layer on.
std::vector<MaskAction> plan_masks(const std::vector<std::unique_ptr<Layer>>& layers, RunMode mode);

// A layer's record with everything known before its forward pass: names, config, shapes, weights,
// the mask that arrived, and what the layer does with it (`action`, from the plan).
LayerRecord open_record(const Layer& layer, const OptMask& arrived, MaskAction action, Detail detail);

}  // namespace maskviz
