// What the backward pass says about the mask, in the words every renderer uses (grad's text, the page):
// one source, so the text and the page never say it two ways. Each verdict is computed from the record.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "grad/grad_record.h"

namespace maskviz {

// A masked step's row of dloss/doutput: exactly 0.
inline constexpr const char* kMaskedOutputGradientZero = "exactly 0: this step does not reach the loss";
// A masked step whose dloss/doutput is NaN, not 0.
inline constexpr const char* kMaskedOutputGradientNaN = "NaN, not 0: weight 0 times an infinite derivative (0 · inf)";
// A masked step of a recurrent layer in the backward pass.
inline constexpr const char* kMaskedStepAddsZero = "the cell gets no gradient; this step adds exactly 0";
// What the backward pass shows, after "loss = ...; ".
inline constexpr const char* kBackwardPassWords =
    "each layer from the loss back to the input: what the loss asks of its output (dloss/doutput) and of its "
    "weights.";

// Row 0 (the padding token) of the lookup-table layer at `layer` in `grad`: its gradient and its one
// optimizer step, said as one sentence ("Row 0 of emb (the padding token) has gradient exactly 0 here and
// does not move."). Empty when the layer is not a lookup table.
std::string padding_row_words(const GradRecord& grad, std::size_t layer, RunMode mode);

// What the masked steps' dloss/doutput ([B, T, F]) is in one run, by the mask the layer handed on:
// "at all 2 masked steps: exactly 0: ...", or how many are not and why (NaN: 0 · inf). "" without masked steps.
std::string masked_output_gradient_words(const Tensor& d_output, const OptMask& mask);

// A recurrent layer's (or half's) per-step terms at masked steps: how many, how many exactly 0.
struct MaskedStepTerms {
  std::size_t terms = 0, zero = 0;
};
MaskedStepTerms masked_step_terms(const LayerGradient& layer);
// "6 of the 6 terms of masked steps are exactly 0: the cell gets no gradient; ...", or "no step is masked here".
std::string masked_step_terms_words(const MaskedStepTerms& terms);

// Which rows of a weight one optimizer step moved (a row moved when any entry changed).
struct RowsMoved {
  std::size_t rows = 0, unchanged = 0;
  std::vector<std::uint8_t> moved;  // per row
};
RowsMoved rows_moved(const Tensor& before, const Tensor& after);
// "kernel [4, 16]: 0 of 4 rows unchanged"
std::string rows_moved_words(const std::string& name, const Tensor& weight, const RowsMoved& rows);

}  // namespace maskviz
