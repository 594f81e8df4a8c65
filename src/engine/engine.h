// Runs a scenario: the masked run as written, the unmasked run with every mask source switched off.
#pragma once

#include "engine/record.h"
#include "scenario/scenario.h"

namespace maskviz {

// What the backward pass keeps of a forward walk: every tensor of the graph and the masks each layer
// was called with, exactly as the walk handed them (MultiHeadAttention's clearing included).
struct GraphTape {
  std::size_t model_inputs = 0;
  std::vector<Tensor> values;                       // model inputs first, then one per layer
  std::vector<std::optional<Tensor>> logits;        // per tensor: the input of a final sigmoid/softmax
  std::vector<std::vector<OptMask>> call_masks;     // per layer, per input: the mask handed to call()
  std::vector<OptMask> output_masks;                // per layer: the mask it handed on
  std::size_t at(const NodeRef& ref) const { return ref.model_input ? ref.index : model_inputs + ref.index; }
};

// `tape`, when given, receives what the backward pass needs (grad/backward.cpp).
RunRecord run_model(const Scenario& scenario, RunMode mode, Detail detail, GraphTape* tape = nullptr);

struct Trace {
  const Scenario* scenario = nullptr;
  Detail detail = Detail::full;
  RunRecord masked;
  RunRecord unmasked;
};

Trace run_both(const Scenario& scenario, Detail detail);

}  // namespace maskviz
