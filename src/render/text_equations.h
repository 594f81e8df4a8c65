// The short symbols the step tables use for weights and activations. The equations themselves are in
// the record (engine/record.h, Equations), written by the layer that computes them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/record.h"
#include "render/text_style.h"

namespace maskviz {

// "kernel" -> "W", "recurrent_kernel" -> "U", "bias" -> "b", GRU's two bias rows -> "b_x", "b_h".
std::string weight_symbol(std::string_view name);

// How an activation is written in an equation: "σ" for sigmoid, else its Keras name.
std::string activation_symbol(const std::string& name, const Style& style);

// The row label of a product in a step table, e.g. "h_{t-1} · U", "r ⊙ h_{t-1} · U[:, 2u:]".
std::string product_label(const Product& product, const Style& style);

// The row label of a gated term: "r ⊙ h_h" (a compound operand in parentheses).
std::string gated_term_label(const GatedTerm& term, const Style& style);

}  // namespace maskviz
