// Keras 3 reduces a masked loss as Σ L·w / N with w = N/V on valid terms and 0 on masked ones
// (keras/src/losses/loss.py, apply_mask); that is the mean of the V valid terms, which is how a learner
// checks it by hand, so both forms are printed.
#include "render/text_loss.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <optional>

#include "analysis/compare.h"
#include "analysis/loss_explanation.h"
#include "render/text_style.h"
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

// The target of term i: a class index for sparse crossentropy, else the target's row ("[0 1 2]" when it
// holds whole numbers).
std::string target_text(const LossRecord& loss, std::size_t i, int precision) {
  const std::size_t C = loss.target.row_length();
  if (loss.target.size() == loss.terms.size() && loss.target.rank() == loss.terms_shape.size())
    return whole_or_number(loss.target.values[i], precision);
  const float* y = loss.target.row(i);
  bool whole = true;
  for (std::size_t c = 0; c < C; ++c) whole = whole && std::isfinite(y[c]) && y[c] == std::nearbyint(y[c]);
  if (!whole) return vector_text(y, C, precision);
  std::vector<std::string> parts;
  for (std::size_t c = 0; c < C; ++c) parts.push_back(whole_or_number(y[c], precision));
  return fmt::format("[{}]", fmt::join(parts, " "));
}

// The term's formula once, then one term worked out from the printed numbers.
void print_formula(Printer& p, const LossRecord& loss) {
  const Style& s = p.style();
  const int precision = p.precision();
  // The first term that counts among those shown (--batch, --steps), else the first shown.
  const std::size_t T = loss.terms_shape.size() == 2 ? loss.terms_shape[1] : 1;
  auto shown = [&](std::size_t i) { return p.shows_batch(i / T) && (T == 1 || p.shows_step(i % T)); };
  std::optional<std::size_t> example;
  for (std::size_t i = 0; i < loss.terms.size() && !example; ++i)
    if (shown(i) && loss.weights[i] != 0.0f) example = i;
  for (std::size_t i = 0; i < loss.terms.size() && !example; ++i)
    if (shown(i)) example = i;
  const LossFormula f = loss_formula(loss, example.value_or(example_term(loss)), [&](float v) { return number(v, precision); });
  if (f.formula.empty()) return;
  p.paragraph(s.text(fmt::format("{}: {}", f.formula, f.symbols)), "  term    ");
  if (!f.worked.empty()) p.paragraph(s.text(f.worked), "  e.g.    ");
}

// The grid of one row per loss term: "target y" first when the record holds the targets, then `headers`.
Grid term_grid(const LossRecord& loss, const std::vector<std::string>& headers) {
  const std::size_t first = loss.target.size() > 0 ? 1 : 0;
  Grid grid(first + headers.size());
  grid.set_gap(3);
  grid.set_uniform(false);
  if (first) grid.set_header(0, "target y");
  for (std::size_t k = 0; k < headers.size(); ++k) grid.set_header(first + k, headers[k]);
  return grid;
}

// A term's place, "b=0 t=2", with the loss mask's cell beside it when the loss has a mask.
Span term_label(const Style& s, const LossRecord& loss, std::size_t b, std::size_t t, bool timed) {
  Span label{{timed ? fmt::format("b={} t={}", b, t) : fmt::format("b={}", b), Tone::plain}};
  if (loss.mask) {
    label.push_back({" ", Tone::plain});
    label.push_back({s.mask_cell(loss.mask->at(b, t)), loss.mask->at(b, t) ? Tone::valid : Tone::masked});
  }
  return label;
}

// One row per term: the target it compares with, L, its weight w, L · w, and whether it counts.
void print_terms(Printer& p, const LossRecord& loss, ArithmeticCheck& check) {
  const Style& s = p.style();
  const int precision = p.precision();
  const bool timed = loss.terms_shape.size() == 2;
  const std::size_t T = timed ? loss.terms_shape[1] : 1;
  const bool targets = loss.target.size() > 0;
  Grid grid = term_grid(loss, {"term L", "weight w", fmt::format("L {} w", s.times())});
  std::size_t shown = 0;
  for (std::size_t i = 0; i < loss.terms.size(); ++i) {
    const std::size_t b = i / T, t = i % T;
    if (!p.shows_batch(b) || (timed && !p.shows_step(t))) continue;
    const bool counts = loss.weights[i] != 0.0f;
    Span label = term_label(s, loss, b, t, timed);
    const Tone tone = counts ? Tone::plain : Tone::dim;
    const float product = loss.terms[i] * loss.weights[i];
    const std::string w = whole_or_number(loss.weights[i], precision);
    check.check(as_printed(loss.terms[i], precision) * as_printed(loss.weights[i], precision), product,
                fmt::format("{} {} {}", w, s.times(), number(loss.terms[i], precision)));
    std::vector<Cell> cells;
    if (targets) cells.push_back({target_text(loss, i, precision), tone});
    cells.push_back({number(loss.terms[i], precision), tone});
    cells.push_back({w, counts ? Tone::plain : Tone::masked});
    cells.push_back({number(product, precision), tone});
    grid.add_row(std::move(label), std::move(cells),
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
void print_reduction(Printer& p, const LossRecord& loss, ArithmeticCheck& check) {
  const Style& s = p.style();
  const int precision = p.precision();
  const LossExplanation e = explain_loss(loss);
  // Σ L·w by hand: the printed products, summed; then that printed sum over N, and the valid terms' mean.
  double column = 0, kept = 0;
  for (std::size_t i = 0; i < loss.terms.size(); ++i) {
    column += as_printed(loss.terms[i] * loss.weights[i], precision);
    if (loss.weights[i] != 0.0f) kept += as_printed(loss.terms[i], precision);
  }
  if (masked_non_finite(loss) == 0) {
    if (loss.mask) check.check(column, loss.weighted_sum, fmt::format("the sum of the L {} w column", s.times()));
    if (loss.mask) check.check(as_printed(loss.weighted_sum, precision) / static_cast<double>(e.total), loss.value,
                               fmt::format("{} / {}", number(loss.weighted_sum, precision), e.total));
    if (e.valid > 0)
      check.check(kept / static_cast<double>(e.valid), loss.value, fmt::format("the sum of the counted L / {}", e.valid));
  }
  p.paragraph(s.text(loss_count_words(loss)), "  ");
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
      p.paragraph(s.text(loss_rescale_words(e)), "  ", Tone::dim);
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

void print_loss_terms_both(Printer& p, const LossRecord& m, const LossRecord& u) {
  const Style& s = p.style();
  const int precision = p.precision();
  const bool timed = m.terms_shape.size() == 2;
  const std::size_t T = timed ? m.terms_shape[1] : 1;
  const bool targets = m.target.size() > 0;
  Grid grid = term_grid(m, {"L masked run", "w", "L unmasked run", "w"});
  std::size_t shown = 0;
  for (std::size_t i = 0; i < m.terms.size() && i < u.terms.size(); ++i) {
    const std::size_t b = i / T, t = i % T;
    if (!p.shows_batch(b) || (timed && !p.shows_step(t))) continue;
    const bool counts = m.weights[i] != 0.0f;
    Span label = term_label(s, m, b, t, timed);
    std::vector<Cell> cells;
    if (targets) cells.push_back({target_text(m, i, precision)});
    cells.push_back({number(m.terms[i], precision), counts ? Tone::plain : Tone::dim});
    cells.push_back({whole_or_number(m.weights[i], precision), counts ? Tone::plain : Tone::masked});
    cells.push_back({number(u.terms[i], precision)});
    cells.push_back({whole_or_number(u.weights[i], precision)});
    std::string trail = same_value(m.terms[i], u.terms[i]) ? "the same term" : "the terms differ";
    grid.add_row(std::move(label), std::move(cells),
                 {{trail, same_value(m.terms[i], u.terms[i]) ? Tone::dim : Tone::bad}});
    ++shown;
  }
  if (p.options().summary || shown == 0) return;
  p.grid(grid, 2);
  print_formula(p, m);
}

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
  ArithmeticCheck check(precision);
  print_terms(p, loss, check);
  print_formula(p, loss);
  print_reduction(p, loss, check);
  if (other != nullptr) {
    const float gap = loss.value - other->value;
    check.check(std::fabs(as_printed(loss.value, precision) - as_printed(other->value, precision)), std::fabs(gap),
                printed_gap(loss.value, other->value, precision));
    p.paragraph(fmt::format("{} (the {}){}{}", scalar(other->value, precision),
                            other->mask ? "mean of the valid terms" : "mean of all terms",
                            s.sep(),
                            gap == 0.0f ? "the same value" : fmt::format("differs by {}", scalar(std::fabs(gap), precision))),
                fmt::format("  {}: ", mode == RunMode::masked ? "unmasked run" : "masked run"), Tone::plain, Tone::dim);
  }
  if (!check.closes()) p.note(s.text(check.words()), 2);
}

}  // namespace maskviz
