#include "analysis/mask_words.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace maskviz {

std::string mask_action_words(const LayerRecord& layer) {
  switch (layer.mask_action) {
    case MaskAction::none: return "no mask reaches it";
    case MaskAction::created:
      return layer.mask_use.creates.empty() ? "creates it" : fmt::format("creates it: {}", layer.mask_use.creates);
    case MaskAction::passed_on: return "passes it on without reading it";
    case MaskAction::consumed: {
      const std::string& how = layer.mask_use.reads;
      return how.empty() ? "reads it and hands none on" : fmt::format("reads it ({}) and hands none on", how);
    }
    case MaskAction::consumed_passed_on: {
      const std::string& how = layer.mask_use.reads;
      return how.empty() ? "reads it and passes it on" : fmt::format("reads it ({}) and passes it on", how);
    }
    case MaskAction::dropped:
      return fmt::format("drops it: {} does not support masking, so Keras warns and no later layer sees it",
                         layer.type);
    case MaskAction::switched_off: return "would create one, but masks are switched off in this run";
    case MaskAction::merged:
      if (const auto lost = lost_merge(layer)) return lost_merge_words(*lost);
      return layer.mask_use.reads.empty() ? "merges its inputs' masks"
                                          : fmt::format("merges its inputs' masks: {}", layer.mask_use.reads);
  }
  return "";
}

std::string mask_action_short(MaskAction action) {
  switch (action) {
    case MaskAction::none: return "no mask";
    case MaskAction::created: return "creates";
    case MaskAction::passed_on: return "passes on";
    case MaskAction::consumed: return "reads";
    case MaskAction::consumed_passed_on: return "reads, passes on";
    case MaskAction::dropped: return "drops";
    case MaskAction::switched_off: return "switched off";
    case MaskAction::merged: return "merges";
  }
  return "";
}

std::string mask_action_short(const LayerRecord& layer) {
  return lost_merge(layer) ? "loses it" : mask_action_short(layer.mask_action);
}

bool merge_loses_mask(MaskAction action, const std::vector<bool>& masked, bool output_masked) {
  return action == MaskAction::merged && !output_masked && std::find(masked.begin(), masked.end(), true) != masked.end();
}

namespace {

// The inputs without a mask, each with who cleared it: "emb (cleared by mha)".
std::vector<std::string> unmasked_inputs(const LostMerge& lost) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < lost.inputs.size(); ++i)
    if (!lost.masked[i])
      out.push_back(lost.cleared_by[i].empty() ? lost.inputs[i]
                                               : fmt::format("{} (cleared by {})", lost.inputs[i], lost.cleared_by[i]));
  return out;
}

}  // namespace

std::string lost_merge_words(const LostMerge& lost) {
  std::vector<std::string> why;
  for (std::size_t i = 0; i < lost.inputs.size(); ++i) {
    if (lost.masked[i]) continue;
    why.push_back(lost.cleared_by[i].empty()
                      ? fmt::format("{} carries no mask (none was ever attached to it)", lost.inputs[i])
                      : fmt::format("{} carries no mask when {} runs ({}, which read {} earlier, set that tensor's "
                                    "mask to None in place: multi_head_attention.py l.628-631)",
                                    lost.inputs[i], lost.type, lost.cleared_by[i], lost.inputs[i]));
  }
  std::vector<std::string> masked;
  for (std::size_t i = 0; i < lost.inputs.size(); ++i)
    if (lost.masked[i]) masked.push_back(lost.inputs[i]);
  return fmt::format("loses it: {}'s output mask is None because {}, and Merge.compute_mask returns None as soon as "
                     "any input's mask is None (base_merge.py l.255-277), without ORing the mask of {}: what reads its "
                     "output gets no mask from it",
                     lost.type, fmt::join(why, " and "), fmt::join(masked, ", "));
}

std::string lost_merge_short(const LostMerge& lost) {
  return fmt::format("loses it: {} has none", fmt::join(unmasked_inputs(lost), ", "));
}

std::optional<LostMerge> lost_merge(const LayerRecord& layer) {
  LostMerge lost{layer.type, layer.inputs, {}, {}};
  for (std::size_t i = 0; i < layer.inputs.size(); ++i) {
    lost.masked.push_back(i < layer.input_masks.size() && layer.input_masks[i].has_value());
    lost.cleared_by.push_back(i < layer.input_masks_cleared_by.size() ? layer.input_masks_cleared_by[i] : "");
  }
  if (!merge_loses_mask(layer.mask_action, lost.masked, layer.output_mask.has_value())) return std::nullopt;
  return lost;
}

std::string loss_mask_short(const LossRecord& loss) {
  return loss.mask ? fmt::format("reads: {} of {} terms count", loss.valid, loss.total) : "every term counts";
}

std::string masked_step_kept_words(const RecurrentSteps& layer) {
  return layer.zero_output_for_mask
             ? "the states are kept from the step before and the output is 0 (zero_output_for_mask)"
             : "the states and the output are kept from the step before";
}

std::string not_dropout_words(const LayerRecord& creator) {
  const std::string values = creator.mask_use.changes_values.empty()
                                 ? "and changes no value"
                                 : fmt::format("and changes no value; only {} itself {}", creator.name,
                                               creator.mask_use.changes_values);
  return fmt::format("Is this dropout? No: dropout zeroes random activations, and only while training. A mask marks "
                     "whole steps (□), the same ones every time, for the layers that read it to skip, {}.",
                     values);
}

std::string carried_from_words(const std::vector<StepRecord>& steps, std::size_t index, bool state) {
  const std::size_t b = steps[index].batch;
  const char* what = state ? "state" : "output";
  if (index == 0 || steps[index - 1].batch != b) return fmt::format("the initial {} (zeros)", what);
  for (std::size_t j = index; j-- > 0 && steps[j].batch == b;)
    if (!steps[j].carried_over) return fmt::format("carried over from t={}", steps[index - 1].t);
  return fmt::format("still the initial {} (zeros)", what);
}

}  // namespace maskviz
