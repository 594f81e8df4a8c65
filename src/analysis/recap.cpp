#include "analysis/recap.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "analysis/mask_words.h"

namespace maskviz {

namespace {

constexpr std::size_t kListedSequences = 4;  // beyond this, the masked steps of the rest are summed up

// "t=2, t=3" or "t=2..5" for a run of steps.
std::string steps_text(const std::vector<std::size_t>& steps) {
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < steps.size();) {
    std::size_t j = i;
    while (j + 1 < steps.size() && steps[j + 1] == steps[j] + 1) ++j;
    if (j - i >= 2)
      parts.push_back(fmt::format("t={}..{}", steps[i], steps[j]));
    else
      for (std::size_t k = i; k <= j; ++k) parts.push_back(fmt::format("t={}", steps[k]));
    i = j + 1;
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

std::string place_text(const StepPlace& at) {
  if (at.t == kNoStep) return fmt::format("{} ({}), b={}", at.name, at.type, at.b);
  return fmt::format("{} ({}) at b={} t={}", at.name, at.type, at.b, at.t);
}

// The first (layer, b, t) in `steps` (per sequence), with whether it is masked there.
bool selected(const Selection& selection, std::size_t b, std::size_t t) {
  if (selection.batch && b != *selection.batch) return false;
  return !selection.steps || t == kNoStep || (t >= selection.steps->first && t <= selection.steps->second);
}

std::optional<StepPlace> first_place(const LayerComparison& c, std::size_t layer, const std::vector<std::size_t>& steps,
                                     bool masked_known, const Selection& selection) {
  std::optional<StepPlace> best;
  for (std::size_t b = 0; b < steps.size(); ++b) {
    if (steps[b] == kNoStep || !selected(selection, b, steps[b])) continue;
    if (!best || steps[b] < best->t) best = StepPlace{layer, c.masked->name, c.masked->type, b, steps[b], false};
  }
  if (best && masked_known) {
    const OptMask& mask = c.masked->output_mask ? c.masked->output_mask : c.masked->input_mask;
    best->masked = mask && best->b < mask->batch && best->t < mask->time && !mask->at(best->b, best->t);
  }
  return best;
}

}  // namespace

Recap recap_runs(const Trace& trace, const RunComparison& comparison, const Selection& selection) {
  Recap r;
  for (const auto& layer : trace.masked.layers) {
    if (layer.mask_action == MaskAction::none) continue;
    if (layer.mask_action == MaskAction::created && r.creator.empty()) {
      r.creator = layer.name;
      if (const OptMask& m = layer.output_mask) {
        for (std::size_t b = 0; b < m->batch; ++b) {
          if (!selected(selection, b, kNoStep)) continue;
          r.masked_steps.push_back({b, {}});
          for (std::size_t t = 0; t < m->time; ++t)
            if (!m->at(b, t) && selected(selection, b, t)) r.masked_steps.back().second.push_back(t);
        }
      }
    }
    r.path.push_back(fmt::format("{} {}", layer.name, mask_action_short(layer.mask_action)));
  }
  if (trace.masked.loss && trace.masked.loss->mask && !r.creator.empty()) r.path.push_back("the loss reads");
  if (comparison.first_layer) {
    const std::size_t i = *comparison.first_layer;
    const LayerComparison& c = comparison.layers[i];
    r.first = first_place(c, i, c.first_step, true, selection);
    if (!r.first && c.first_step.empty())
      r.first = StepPlace{i, c.masked->name, c.masked->type, position_of(c.masked->output.shape, c.output.max_index).b,
                          kNoStep, false};
  }
  if (comparison.first_valid_layer) {
    const std::size_t i = *comparison.first_valid_layer;
    const LayerComparison& c = comparison.layers[i];
    r.first_valid = first_place(c, i, c.first_valid_step, false, selection);
    if (!r.first_valid && c.first_valid_step.empty())
      r.first_valid = StepPlace{i, c.masked->name, c.masked->type,
                                position_of(c.masked->output.shape, c.at_valid.max_index).b, kNoStep, false};
  }
  r.output_valid_differs = comparison.output_valid_differs;
  if (!trace.masked.layers.empty()) r.output_layer = trace.masked.layers.back().name;
  if (trace.masked.loss && trace.unmasked.loss) {
    r.has_loss = true;
    r.masked_loss = trace.masked.loss->value;
    r.unmasked_loss = trace.unmasked.loss->value;
    r.valid = trace.masked.loss->valid;
    r.total = trace.masked.loss->total;
    r.loss_masked = trace.masked.loss->mask.has_value();
    r.counted_terms_differ = comparison.loss_counted_terms_differ;
  }
  return r;
}

namespace {

std::string mask_sentence(const Recap& r) {
  if (r.creator.empty()) return "The mask: no layer makes one, so both runs are the same model.";
  std::vector<std::string> seqs;
  std::size_t without = 0;
  for (const auto& [b, steps] : r.masked_steps) {
    if (steps.empty()) {
      ++without;
      continue;
    }
    if (seqs.size() < kListedSequences) seqs.push_back(fmt::format("b={} at {}", b, steps_text(steps)));
  }
  std::string masked = seqs.empty() ? "no step (there is no padding in this input)"
                                    : fmt::format("{}", fmt::join(seqs, "; "));
  if (!seqs.empty() && without > 0) masked += fmt::format(" ({} without padding)", without == 1 ? "one sequence" : fmt::format("{} sequences", without));
  return fmt::format("The mask: {} made it, masking {}. Along the model: {}.", r.creator, masked,
                     fmt::join(r.path, " → "));
}

std::string loss_sentence(const Recap& r, const NumberText& number) {
  if (!r.has_loss) return "";
  const std::string m = r.loss_masked ? fmt::format("the mean of its {} valid terms", r.valid)
                                      : fmt::format("the mean of all {} terms", r.total);
  std::string s = fmt::format("The loss: masked run {} ({}), unmasked run {} (the mean of all {} terms).",
                              number(r.masked_loss), m, number(r.unmasked_loss), r.total);
  if (!r.loss_masked) return s + " No mask reached the loss, so both runs weigh every term alike.";
  if (r.counted_terms_differ == 0)
    s += fmt::format(" The {} valid terms are the same in both runs, so the gap comes only from the {} masked "
                     "terms the unmasked run counts.", r.valid, r.total - r.valid);
  else
    s += fmt::format(" {} of the {} valid terms differ between the runs (the mask changed what the model computed "
                     "there), and the unmasked run also counts the {} masked terms.",
                     r.counted_terms_differ, r.valid, r.total - r.valid);
  return s;
}

}  // namespace

std::vector<std::string> recap_sentences(const Recap& r, const NumberText& number, std::optional<RunMode> only) {
  std::vector<std::string> out;
  if (only) {
    if (*only == RunMode::masked)
      out.push_back(mask_sentence(r));
    else
      out.push_back(r.creator.empty() ? "No layer makes a mask, so this run is the model as written."
                                      : fmt::format("Every mask is switched off: {} makes none here, and every "
                                                    "layer and the loss treat the padded steps as data.", r.creator));
    if (r.has_loss)
      out.push_back(fmt::format("The loss of this run: {}.",
                                number(*only == RunMode::masked ? r.masked_loss : r.unmasked_loss)));
    out.push_back("Only one run is printed (--mode); without --mode both are, or `maskviz diff` compares them.");
    return out;
  }
  out.push_back(mask_sentence(r));
  if (!r.first) {
    out.push_back("Where the runs parted: nowhere; every layer output is the same in both runs, bit for bit.");
  } else if (r.first->masked) {
    out.push_back(fmt::format(
        "Where the runs parted: first at {}, a masked step, where a difference is there by design; {}",
        place_text(*r.first),
        r.first_valid ? fmt::format("the first valid step that differs is {}.", place_text(*r.first_valid))
                      : "no valid step differs in any layer."));
  } else {
    out.push_back(fmt::format("Where the runs parted: first at {}, a valid step.", place_text(*r.first)));
  }
  if (r.first)
    out.push_back(r.output_valid_differs
                      ? fmt::format("The model's output ({}) differs at valid steps: the mask changed what the model "
                                    "says, not only its padding.", r.output_layer)
                      : fmt::format("The model's output ({}) is the same at every valid step.", r.output_layer));
  if (const std::string loss = loss_sentence(r, number); !loss.empty()) out.push_back(loss);
  return out;
}

std::vector<std::string> valid_difference_sentences(const Recap& r, const RunComparison& comparison,
                                                    const NumberText& number) {
  std::vector<std::string> out;
  std::size_t masked_only = 0;
  for (const auto& c : comparison.layers) {
    if (!c.counted || c.identical()) continue;
    if (c.at_valid.identical()) {
      ++masked_only;
      continue;
    }
    std::vector<std::string> firsts;
    for (std::size_t b = 0; b < c.first_valid_step.size(); ++b)
      if (c.first_valid_step[b] != kNoStep) firsts.push_back(fmt::format("b={} t={}", b, c.first_valid_step[b]));
    const Position at = position_of(c.masked->output.shape, c.at_valid.max_index);
    out.push_back(fmt::format(
        "{} ({}): {} valid {} {}{}, largest |Δ| = {} at b={}{}.{}", c.masked->name, c.masked->type,
        c.at_valid.differing, c.at_valid.differing == 1 ? "value" : "values", c.split ? "differ" : "differ (no mask here: every value counts)",
        firsts.empty() ? "" : fmt::format(", first at {}", fmt::join(firsts, ", ")), number(c.at_valid.max_abs), at.b,
        at.t == kNoStep ? "" : fmt::format(" t={}", at.t),
        c.masked->name == r.output_layer ? " It is the model's output: these reach the output." : ""));
  }
  if (!r.first) out.push_back("No layer output differs, at any step.");
  if (out.empty() && r.first)
    out.push_back("No layer differs at a valid step: every difference is at a masked step, by design.");
  else if (masked_only > 0)
    out.push_back(fmt::format("{} other differing {} only at masked steps, by design.", masked_only,
                              masked_only == 1 ? "layer differs" : "layers differ"));
  if (r.first_valid && !r.output_valid_differs)
    out.push_back(fmt::format("None of them reaches the model's output ({}): it is the same at every valid step.",
                              r.output_layer));
  if (r.has_loss && r.loss_masked && comparison.loss_counted && !comparison.loss_identical)
    out.push_back(r.counted_terms_differ == 0
                      ? fmt::format("The loss: its {} valid terms are the same in both runs; the losses differ only "
                                    "because the unmasked run also counts the {} masked terms.",
                                    r.valid, r.total - r.valid)
                      : fmt::format("The loss: {} of its {} valid terms differ, so valid-step differences reach the "
                                    "loss.", r.counted_terms_differ, r.valid));
  return out;
}

}  // namespace maskviz
