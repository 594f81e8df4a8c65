// The equations a layer's numbers follow, written as a learner writes them (x_t · W + h_{t-1} · U + b),
// and the short symbols the step tables use for weights. Presentation only: the numbers come from the
// record. A layer type without an entry here is still rendered in full, just without its equations.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/record.h"
#include "render/text_style.h"

namespace maskviz {

struct Equations {
  std::vector<std::string> lines;  // shown once per layer, above its weights
  // How each new state is computed, in the order the cell computes them ("c" before "h" in an LSTM).
  std::vector<std::pair<std::string, std::string>> states;
  // True when the pre-activation is the plain sum of the products and the bias in every column, so the
  // step table may write "+" and "=" between its rows (not so for GRU, whose candidate mixes in r).
  bool additive = false;
};

Equations equations_for(const LayerRecord& layer, const Style& style);

// "kernel" -> "W", "recurrent_kernel" -> "U", "bias" -> "b", GRU's two bias rows -> "b_x", "b_h".
std::string weight_symbol(std::string_view name);

// How an activation is written in an equation: "σ" for sigmoid, else its Keras name.
std::string activation_symbol(const std::string& name, const Style& style);

// The row label of a product in a step table, e.g. "h_{t-1} · U", "r ⊙ h_{t-1} · U[:, 2u:]".
std::string product_label(const Product& product, const LayerRecord& layer, const Style& style);

// Where a product's columns start among the layer's G*H pre-activation columns ("[:, 2u:]" -> 2H).
std::size_t product_offset(const Product& product, std::size_t units);

}  // namespace maskviz
