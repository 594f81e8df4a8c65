#include "analysis/grad_words.h"

#include <fmt/format.h>

#include <cmath>

#include "core/tensor.h"

namespace maskviz {

std::string padding_row_words(const GradRecord& g, std::size_t i, RunMode mode) {
  if (i >= g.layers.size() || g.layers[i].kind != LayerGradient::Kind::lookup_table || g.layers[i].weights.empty())
    return "";
  const Tensor& d = g.layers[i].weights[0].value;
  const auto& before = g.train.weights_before[i][0].value;
  const auto& after = g.train.weights_after[i][0].value;
  bool zero = true, same = true;
  for (std::size_t f = 0; f < d.row_length(); ++f) {
    zero &= d.values[f] == 0.0f;
    same &= before.values[f] == after.values[f];
  }
  return zero ? fmt::format("Row 0 of {} (the padding token) has gradient exactly 0 here{}.", g.layers[i].name,
                            same ? " and does not move" : ", yet moved: weight decay shrinks every weight")
              : fmt::format("Row 0 of {} (the padding token) has a real gradient here ({}): padding reaches "
                            "the loss, so it learns like any other row.",
                            g.layers[i].name, mode == RunMode::masked ? "a layer dropped the mask" : "no mask");
}

std::string masked_output_gradient_words(const Tensor& d, const OptMask& mask) {
  if (d.rank() != 3 || !mask) return "";
  const std::size_t T = d.dim(1), n = d.row_length();
  std::size_t masked = 0, zero = 0, nan = 0;
  for (std::size_t r = 0; r < d.size() / n; ++r) {
    const std::size_t b = r / T, t = r % T;
    if (b >= mask->batch || t >= mask->time || mask->at(b, t)) continue;  // kept: not a masked step
    ++masked;
    bool z = true, bad = false;
    for (std::size_t i = 0; i < n; ++i) z &= d.row(r)[i] == 0.0f, bad |= std::isnan(d.row(r)[i]);
    zero += z ? 1 : 0;
    nan += bad ? 1 : 0;
  }
  if (masked == 0) return "";
  std::string words =
      zero == masked ? fmt::format("{} masked step{}: {}", masked == 1 ? "at the one" : fmt::format("at all {}", masked),
                                   masked == 1 ? "" : "s", kMaskedOutputGradientZero)
                     : fmt::format("{} of {} masked steps exactly 0{}", zero, masked,
                                   nan < masked - zero ? ": the others still reach the loss (something after this layer "
                                                         "does not honour the mask)"
                                                       : "");
  if (nan > 0) words += fmt::format("; {} masked step{}: {}", nan, nan == 1 ? "" : "s", kMaskedOutputGradientNaN);
  return words;
}

MaskedStepTerms masked_step_terms(const LayerGradient& layer) {
  MaskedStepTerms n;
  for (const auto& step : layer.steps) {
    if (!step.masked) continue;
    for (const auto& term : step.contributions) {
      bool zero = true;
      for (float v : term.value.values) zero &= v == 0.0f;
      n.terms += 1;
      n.zero += zero ? 1 : 0;
    }
  }
  return n;
}

std::string masked_step_terms_words(const MaskedStepTerms& n) {
  if (n.terms == 0) return "no step is masked here";
  return fmt::format("{} of the {} terms of masked steps are exactly 0: {}", n.zero, n.terms, kMaskedStepAddsZero);
}

RowsMoved rows_moved(const Tensor& before, const Tensor& after) {
  RowsMoved r;
  const std::size_t n = before.row_length();
  r.rows = n == 0 ? 0 : before.size() / n;
  for (std::size_t row = 0; row < r.rows; ++row) {
    bool same = true;
    for (std::size_t i = 0; i < n; ++i) same &= before.row(row)[i] == after.row(row)[i];
    r.unchanged += same ? 1 : 0;
    r.moved.push_back(same ? 0 : 1);
  }
  return r;
}

std::string rows_moved_words(const std::string& name, const Tensor& weight, const RowsMoved& rows) {
  return fmt::format("{} {}: {} of {} rows unchanged", name, shape_text(weight.shape), rows.unchanged, rows.rows);
}

}  // namespace maskviz
