// What each layer does with the mask, in the words every renderer uses (text tables, the page's model
// strip): one source, so the text and the page never say it two ways.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/record.h"

namespace maskviz {

// "creates it (token != 0)", "reads it and passes it on", "drops it", ...
std::string mask_action_words(const LayerRecord& layer);
// The short form for tables: "creates", "reads, passes on", "passes on", "reads", "drops", "switched off", "-".
std::string mask_action_short(MaskAction action);
// The same for one layer of a run: "loses it" for a merge that received a mask and hands none on.
std::string mask_action_short(const LayerRecord& layer);

// A merge (Add) that received a mask from some input and hands none on: Keras' Merge.compute_mask returns
// None as soon as one input's mask is None. The layer's inputs by name, whether each carried a mask when
// the merge ran, and for one without a mask the layer that had set it to None in place (a
// MultiHeadAttention that read the same tensor), else empty. `validate` fills it from the plan, `run` from
// the record, and both say it with lost_merge_words.
struct LostMerge {
  std::string type;                     // "Add"
  std::vector<std::string> inputs;      // names, in call order
  std::vector<bool> masked;             // per input: it carried a mask
  std::vector<std::string> cleared_by;  // per input: who set its mask to None, or empty
};
// True when `action` is a merge, some input carried a mask and the output carries none.
bool merge_loses_mask(MaskAction action, const std::vector<bool>& masked, bool output_masked);
// "loses it: Add's output mask is None because emb carries no mask when Add runs (mha, a layer that read emb,
// had set its mask to None in place: ...), and Merge.compute_mask returns None when any input's mask is None
// (...), without ORing the others; no layer after it sees a mask"
std::string lost_merge_words(const LostMerge& lost);
// The table cell: "loses it: emb has none (cleared by mha)".
std::string lost_merge_short(const LostMerge& lost);
// A layer record's LostMerge, when it is one (its inputs' masks as they arrived, and who cleared them).
std::optional<LostMerge> lost_merge(const LayerRecord& layer);

// What the loss does with the mask, for a table cell: "reads: 2 of 4 terms count", or "every term counts".
std::string loss_mask_short(const LossRecord& loss);

// What a recurrent layer does at a masked step, after the cell ran: "the states and the output are kept
// from the step before" (or, with zero_output_for_mask, "... and the output is 0 (zero_output_for_mask)").
std::string masked_step_kept_words(const RecurrentSteps& layer);
// "Is masking like dropout?", answered in one line where the mask first appears: dropout zeroes random
// activations while training; a mask marks whole steps, the same ones every time, and changes no value
// (a creator that does change them, Masking, says so).
std::string not_dropout_words(const LayerRecord& creator);

// Where a masked step's kept states (`state`) or kept output (`!state`) came from, after the arrow:
// "carried over from t=2"; "the initial state (zeros)" at a sequence's first step; "still the initial
// state (zeros)" when every step before it in the sequence was masked too (pre-padding), since then the
// step it repeats held only the initial state. `steps` in processing order, `index` the masked step.
std::string carried_from_words(const std::vector<StepRecord>& steps, std::size_t index, bool state);

// "the cell runs, then its result is discarded": a masked step of a recurrent layer, in a title.
inline constexpr const char* kMaskedStepRuns = "the cell runs, then its result is discarded";

}  // namespace maskviz
