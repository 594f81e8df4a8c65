// What each layer of a scenario does with a mask, without running it: the engine's walk (engine.cpp)
// with "has a mask" in place of the mask, in Keras' execution order, MultiHeadAttention clearing the
// masks of the tensors it read. For `validate`; a Sequential scenario gives plan_masks' answer.
#pragma once

#include <string>
#include <vector>

#include "engine/record.h"
#include "scenario/scenario.h"

namespace maskviz {

struct GraphPlan {
  std::vector<MaskAction> actions;  // per layer, in the scenario's order
  // Per layer, per input (its wiring's sources): whether the tensor carries a mask when the layer runs, and
  // who had set a mask it carried to None (a MultiHeadAttention that read it earlier), else empty.
  std::vector<std::vector<bool>> input_masked;
  std::vector<std::vector<std::string>> input_cleared_by;
  std::vector<bool> output_masked;  // per layer: its output carries a mask
  bool loss_masked = false;         // a mask reaches the model's output (the last layer)
};

GraphPlan plan_graph_masks(const Scenario& scenario, RunMode mode);

}  // namespace maskviz
