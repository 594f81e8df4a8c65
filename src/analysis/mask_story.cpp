#include "analysis/mask_story.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "scenario/scenario.h"

namespace maskviz {

namespace {

std::string layer_ref(const LayerRecord& layer) { return fmt::format("{} ({})", layer.name, layer.type); }

bool keeps_every_step(const OptMask& mask) {
  return mask && mask->valid_count() == mask->keep.size();
}

// The forward numbers show that masking changes no weight; the backward pass shows it for training too:
// a recurrent layer's masked step adds exactly 0 to its weight gradients (its own term, grad/grad_record.h).
std::string grad_pointer(const Trace& trace, const LayerRecord& reader) {
  if (reader.as<RecurrentSteps>() == nullptr && reader.as<Halves>() == nullptr) return "";
  const std::string source = trace.scenario == nullptr || trace.scenario->source.empty() || trace.scenario->source == "-"
                                 ? "SCENARIO"
                                 : trace.scenario->source;
  const bool has_loss = trace.scenario != nullptr && trace.scenario->loss;
  return fmt::format(" For training, {}`maskviz grad {}` shows that the masked steps add exactly 0 to every weight "
                     "gradient of {}.",
                     has_loss ? "" : "add a target and a loss, and ", source, reader.name);
}

}  // namespace

std::string mask_story(const Trace& trace, const RunComparison& comparison) {
  const auto& layers = trace.masked.layers;
  const LayerRecord* creator = nullptr;
  const LayerRecord* reader = nullptr;
  const LayerRecord* dropper = nullptr;
  std::vector<std::string> passers;
  for (const auto& layer : layers) {
    if (creator == nullptr) {
      if (layer.mask_action == MaskAction::created) creator = &layer;
      continue;
    }
    if (layer.mask_action == MaskAction::consumed || layer.mask_action == MaskAction::consumed_passed_on) {
      reader = &layer;
      break;
    }
    if (layer.mask_action == MaskAction::dropped) {
      dropper = &layer;
      break;
    }
    if (layer.mask_action == MaskAction::passed_on) passers.push_back(layer.name);
  }
  const bool loss_reads = reader == nullptr && dropper == nullptr && trace.masked.loss && trace.masked.loss->mask;

  if (comparison.first_layer) {
    const LayerComparison& first = comparison.layers[*comparison.first_layer];
    const LayerRecord& at = *first.masked;
    if (&at == reader) {
      const std::string& how = at.mask_use.reads;
      return fmt::format("The runs part at {}, the first layer that reads the mask made by {}{}. Every layer "
                         "before it computed the same numbers in both runs: masking changes no weight.{}",
                         layer_ref(at), creator->name, how.empty() ? "" : fmt::format(" ({})", how),
                         grad_pointer(trace, at));
    }
    if (&at == creator && !at.mask_use.changes_values.empty())
      return fmt::format("The runs part at {} itself: in the masked run it also {}, in the unmasked run it passes "
                         "them through.",
                         layer_ref(at), at.mask_use.changes_values);
    return fmt::format("The runs first part at {}.", layer_ref(at));
  }
  if (creator == nullptr) return "No layer makes a mask, so both runs are the same model and agree everywhere.";
  if (keeps_every_step(creator->output_mask))
    return fmt::format("{} makes a mask, but it keeps every step (there is no padding in this input), so both runs "
                       "agree.", creator->name);
  const std::string passed = passers.empty() ? ""
                             : fmt::format(" ({} only passed it on)", fmt::join(passers, ", "));
  if (reader != nullptr)
    return fmt::format("The mask made by {} is read by {}{}, yet every number agrees in both runs.", creator->name,
                       reader->name, passed);
  if (loss_reads) {
    if (comparison.loss_counted && !comparison.loss_identical)
      return fmt::format("No layer reads the mask made by {}{}: every layer output is the same in both runs. Only the "
                         "loss reads it: it counts the valid terms and leaves the masked ones out, so the loss "
                         "differs.", creator->name, passed);
    return fmt::format("No layer reads the mask made by {}{}; the loss does, and still agrees.", creator->name, passed);
  }
  if (dropper != nullptr)
    return fmt::format("The mask made by {} is dropped by {} before any layer{} reads it{}: both runs compute the "
                       "same numbers. Creating a mask changes nothing by itself; only a layer or loss that reads it "
                       "does.", creator->name, layer_ref(*dropper), trace.masked.loss ? " or the loss" : "", passed);
  return fmt::format("The mask made by {} is never read: no layer after it uses it{}, and {}, so both runs agree.",
                     creator->name, passed,
                     trace.masked.loss ? "the loss cannot line up with it" : "there is no loss");
}

}  // namespace maskviz
