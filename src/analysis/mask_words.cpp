#include "analysis/mask_words.h"

#include <fmt/format.h>

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
