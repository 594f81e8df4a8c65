#include "engine/graph_plan.h"

#include "engine/mask_plan.h"

namespace maskviz {

GraphPlan plan_graph_masks(const Scenario& scenario, RunMode mode) {
  const std::size_t inputs = scenario.inputs.size();
  std::vector<bool> masked(inputs + scenario.layers.size(), false);  // per tensor: carries a mask now
  std::vector<std::string> cleared_by(masked.size());                 // per tensor: who set its mask to None
  auto at = [&](const NodeRef& ref) { return ref.model_input ? ref.index : inputs + ref.index; };
  GraphPlan plan;
  plan.actions.assign(scenario.layers.size(), MaskAction::none);
  plan.input_masked.resize(scenario.layers.size());
  plan.input_cleared_by.resize(scenario.layers.size());
  plan.output_masked.assign(scenario.layers.size(), false);
  for (std::size_t i : scenario.execution_order) {
    const Layer& layer = *scenario.layers[i];
    std::vector<bool> present;
    for (const NodeRef& source : scenario.wiring[i].sources) {
      present.push_back(masked[at(source)]);
      plan.input_cleared_by[i].push_back(masked[at(source)] ? std::string() : cleared_by[at(source)]);
    }
    plan.input_masked[i] = present;
    const bool arrives = std::find(present.begin(), present.end(), true) != present.end();
    const MaskAction action = layer.mask_action(arrives, mode);
    plan.actions[i] = action;
    bool out = false;
    if (action == MaskAction::created) out = true;
    else if (action == MaskAction::merged) out = layer.merged_mask_present(present);
    else if (hands_on(action)) out = present.front();  // the first argument's mask (Keras' previous_mask)
    masked[inputs + i] = out;
    plan.output_masked[i] = out;
    if (layer.clears_input_masks())
      for (const NodeRef& source : scenario.wiring[i].sources)
        if (masked[at(source)]) {
          masked[at(source)] = false;
          cleared_by[at(source)] = layer.name();
        }
  }
  plan.loss_masked = masked.back();
  return plan;
}

}  // namespace maskviz
