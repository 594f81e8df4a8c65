// One layer of one run as text: config, shapes, the mask, warnings, equations, weights, then what the
// record holds for it (lookups, steps, reductions, the two halves of a Bidirectional), the output, notes.
#pragma once

#include <string>

#include "render/text_printer.h"

namespace maskviz {

struct LayerPlace {
  std::size_t index = 0;          // 0-based position in the model
  std::size_t count = 0;          // layers in the model
  const Tensor* input = nullptr;  // what the layer received (the previous output, or the scenario input)
  bool tokens = false;            // `input` holds token ids
  bool show_weights = true;       // false when an earlier run already printed them (same weights)
};

void print_layer(Printer& p, const LayerRecord& layer, const LayerPlace& place);

// The compact form for large scenarios: shapes, the mask's path, masked steps, output statistics.
void print_layer_summary(Printer& p, const LayerRecord& layer, const LayerPlace& place);

// "units=3 · activation=tanh · ..." from the resolved config (nested objects as Type(k=v, ...)).
std::string config_text(const nlohmann::json& config, const Style& style);

}  // namespace maskviz
