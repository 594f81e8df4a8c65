// Keras 3 reduces a masked loss as Σ L·w / N with w = N/V on valid terms and 0 on masked ones
// (keras/src/losses/loss.py, apply_mask); that is the mean of the V valid terms, which is how a learner
// checks it by hand, so both forms are printed.
#include "render/text_loss.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

#include "analysis/loss_explanation.h"
#include "render/text_format.h"

namespace maskviz {

namespace {

constexpr std::size_t kSpelledTerms = 12;  // beyond this, the sum shows its first and last terms

// Masked terms (weight 0) that are NaN or infinite: they make the loss NaN all the same.
std::size_t masked_non_finite(const LossRecord& loss) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < loss.terms.size(); ++i) n += loss.weights[i] == 0.0f && !std::isfinite(loss.terms[i]);
  return n;
}

const char* mode_words(RunMode mode) { return mode == RunMode::masked ? "masked run" : "unmasked run"; }

}  // namespace

std::string loss_reduction_text(const Printer& p, const LossRecord& loss) {
  std::vector<std::string> kept;
  for (std::size_t i = 0; i < loss.terms.size(); ++i)
    if (loss.weights[i] != 0.0f) kept.push_back(number(loss.terms[i], p.precision()));
  const std::string value = scalar(loss.value, p.precision());
  // The valid terms' mean would be finite; Keras' loss is not, because a masked term is NaN or inf.
  if (const std::size_t n = masked_non_finite(loss); n > 0)
    return fmt::format("{}: {} masked {} NaN or inf, and NaN · 0 = NaN", value, n, n == 1 ? "term is" : "terms are");
  if (kept.empty()) return fmt::format("no term counts: every weight is 0, so the loss is {}", value);
  std::string sum;
  if (kept.size() <= kSpelledTerms) {
    sum = fmt::format("{}", fmt::join(kept, " + "));
  } else {
    sum = fmt::format("{} + {} + {} + {} + {}", kept[0], kept[1], kept[2], p.style().ellipsis(), kept.back());
  }
  const std::size_t divisor = loss.mask ? loss.valid : loss.total;
  if (kept.size() == 1) return fmt::format("{} / 1 = {}", sum, value);
  return fmt::format("({}) / {} = {}", sum, divisor, value);
}

namespace {

// One row per term: L, its weight w, L · w, and whether it counts.
void print_terms(Printer& p, const LossRecord& loss) {
  const Style& s = p.style();
  const int precision = p.precision();
  const bool timed = loss.terms_shape.size() == 2;
  const std::size_t T = timed ? loss.terms_shape[1] : 1;
  Grid grid(3);
  grid.set_gap(3);
  grid.set_uniform(false);
  grid.set_header(0, "term L");
  grid.set_header(1, "weight w");
  grid.set_header(2, fmt::format("L {} w", s.times()));
  std::size_t shown = 0;
  for (std::size_t i = 0; i < loss.terms.size(); ++i) {
    const std::size_t b = i / T, t = i % T;
    if (!p.shows_batch(b) || (timed && !p.shows_step(t))) continue;
    const bool counts = loss.weights[i] != 0.0f;
    Span label{{timed ? fmt::format("b={} t={}", b, t) : fmt::format("b={}", b), Tone::plain}};
    if (loss.mask) {
      label.push_back({" ", Tone::plain});
      label.push_back({s.mask_cell(loss.mask->at(b, t)), loss.mask->at(b, t) ? Tone::valid : Tone::masked});
    }
    const Tone tone = counts ? Tone::plain : Tone::dim;
    grid.add_row(std::move(label),
                 {{number(loss.terms[i], precision), tone},
                  {whole_or_number(loss.weights[i], precision), counts ? Tone::plain : Tone::masked},
                  {number(loss.terms[i] * loss.weights[i], precision), tone}},
                 {{counts                             ? "counts"
                   : std::isfinite(loss.terms[i]) ? "masked: left out"
                                                  : "masked, but not left out: NaN · 0 = NaN",
                   counts ? Tone::valid : Tone::masked}});
    ++shown;
  }
  if (!p.options().summary && shown > 0) p.grid(grid, 2);
  if (shown < loss.terms.size() && !p.options().summary)
    p.paragraph(fmt::format("{} outside the selection are not shown; they count all the same",
                            plural(loss.terms.size() - shown, "term", "terms")),
                "  ", Tone::dim);
}

// Keras multiplies every term by its weight, so a NaN or inf at a masked step survives the mask.
void print_non_finite_note(Printer& p, const LossRecord& loss) {
  if (const std::size_t n = masked_non_finite(loss); n > 0)
    p.note(fmt::format("{} masked {} {} NaN or infinite, and Keras multiplies every term by its weight: NaN · 0 = NaN "
                       "and inf · 0 = NaN, so the masked loss is NaN (keras/src/losses/loss.py, "
                       "reduce_weighted_values: values * sample_weight). The mask does not protect the loss from "
                       "what the model computes at a padded step.",
                       n, n == 1 ? "term" : "terms", n == 1 ? "is" : "are"),
           2);
}

// How the terms become the loss, from the analysis' explanation.
void print_reduction(Printer& p, const LossRecord& loss) {
  const Style& s = p.style();
  const int precision = p.precision();
  const LossExplanation e = explain_loss(loss);
  const std::string value = scalar(loss.value, precision);
  const std::string sum = fmt::format("{} L {} w / N = {} / {} = {}", s.sigma(), s.times(),
                                      scalar(loss.weighted_sum, precision), e.total, value);
  switch (e.kind) {
    case LossExplanation::Case::none_valid:
      p.paragraph(loss_weight_words(e, "0"), "  ");
      p.paragraph(sum, "  loss = ", Tone::heading);
      if (masked_non_finite(loss) == 0)
        p.note("with no valid step the loss is 0, not NaN: the terms are computed, then all weighted 0.", 2);
      break;
    case LossExplanation::Case::valid_mean:
      p.paragraph(loss_weight_words(e, whole_or_number(e.valid_weight, precision)), "  ");
      p.paragraph(sum, "  loss = ");
      if (masked_non_finite(loss) == 0)
        p.paragraph(fmt::format("the mean of the {} valid terms = {}", e.valid, loss_reduction_text(p, loss)),
                    "       = ", Tone::heading);
      if (e.left_out > 0)
        p.note(fmt::format("the {} masked {} still computed in the output; the mask only gives {} weight 0.",
                           e.left_out, e.left_out == 1 ? "term is" : "terms are", e.left_out == 1 ? "it" : "them"),
               2);
      break;
    case LossExplanation::Case::every_term:
      p.paragraph(fmt::format("the mean of all {} terms = {}", e.total, loss_reduction_text(p, loss)), "  loss = ",
                  Tone::heading);
      break;
  }
  print_non_finite_note(p, loss);
}

}  // namespace

void print_loss(Printer& p, const LossRecord& loss, RunMode mode, const LossRecord* other) {
  const Style& s = p.style();
  const int precision = p.precision();
  p.heading(fmt::format("loss {} {} ({})", s.bullet(), loss.name, mode_words(mode)));
  std::string how = fmt::format("reduction {}{}{} terms {}", loss.reduction, s.sep(), loss.total,
                                shape_text(loss.terms_shape));
  if (loss.from_logits) how += fmt::format("{}from_logits", s.sep());
  p.paragraph(how, "  ");
  for (const auto& warning : loss.warnings) p.warning(warning, 2);
  if (loss.used_keras_logits)
    p.paragraph("Keras' TensorFlow backend computes this crossentropy from the logits behind the final sigmoid or "
                "softmax (its _keras_logits), not from the probabilities shown as the output.",
                "  ", Tone::dim);
  print_terms(p, loss);
  print_reduction(p, loss);
  if (other != nullptr) {
    const float gap = loss.value - other->value;
    p.paragraph(fmt::format("{} (the {}){}{}", scalar(other->value, precision),
                            other->mask ? "mean of the valid terms" : "mean of all terms",
                            s.sep(),
                            gap == 0.0f ? "the same value" : fmt::format("differs by {}", scalar(std::fabs(gap), precision))),
                fmt::format("  {}: ", mode == RunMode::masked ? "unmasked run" : "masked run"), Tone::plain, Tone::dim);
  }
}

}  // namespace maskviz
