#include "analysis/loss_explanation.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace maskviz {

LossExplanation explain_loss(const LossRecord& loss) {
  LossExplanation e;
  e.total = loss.total;
  e.valid = loss.valid;
  if (!loss.mask) return e;
  e.left_out = loss.total - loss.valid;
  if (loss.valid == 0) {
    e.kind = LossExplanation::Case::none_valid;
    e.valid_weight = 0;
    return e;
  }
  e.kind = LossExplanation::Case::valid_mean;
  e.valid_weight = static_cast<float>(loss.total) / static_cast<float>(loss.valid);
  return e;
}

std::string loss_weight_words(const LossExplanation& e, const std::string& valid_weight) {
  switch (e.kind) {
    case LossExplanation::Case::none_valid:
      return fmt::format("N = {} terms, V = 0 valid: N/V = {}/0, which Keras' divide_no_nan turns into 0, so every "
                         "weight is 0", e.total, e.total);
    case LossExplanation::Case::valid_mean:
      return fmt::format("N = {} terms, V = {} valid: a valid term weighs N/V = {}/{} = {}, a masked one 0", e.total,
                         e.valid, e.total, e.valid, valid_weight);
    case LossExplanation::Case::every_term:
      return fmt::format("N = {} terms, no mask: every term counts, each with weight 1", e.total);
  }
  return "";
}

}  // namespace maskviz

namespace maskviz {

namespace {

constexpr std::size_t kSpelledParts = 4;  // a worked sum longer than this shows its first two and last parts

std::string term_place(const LossRecord& loss, std::size_t index) {
  if (loss.terms_shape.size() == 2) {
    const std::size_t T = loss.terms_shape[1];
    return fmt::format("b={} t={}", index / T, index % T);
  }
  return fmt::format("b={}", index);
}

// "a + b + c", or "a + b + … + z" when long.
std::string joined(const std::vector<std::string>& parts, const char* sep) {
  if (parts.size() <= kSpelledParts) return fmt::format("{}", fmt::join(parts, sep));
  return fmt::format("{}{}{}{}…{}{}", parts[0], sep, parts[1], sep, sep, parts.back());
}

// A number inside a formula: negative ones in parentheses where they follow an operator.
std::string operand(const NumberText& number, float v) {
  const std::string s = number(v);
  return v < 0 || (!s.empty() && s[0] == '-') ? fmt::format("({})", s) : s;
}

}  // namespace

std::string loss_count_words(const LossRecord& loss) {
  const std::size_t B = loss.terms_shape.empty() ? 0 : loss.terms_shape[0];
  if (loss.terms_shape.size() == 2)
    return fmt::format("N = {} counts the loss terms, not the sequences: the output is a sequence, so Keras computes "
                       "one term per sequence and time step (batch {} × {} steps = {}); the batch size is {}",
                       loss.total, B, loss.terms_shape[1], loss.total, B);
  return fmt::format("N = {} counts the loss terms: one per sequence of the batch", loss.total);
}

std::string loss_rescale_words(const LossExplanation& e) {
  if (e.kind == LossExplanation::Case::every_term) return "";
  return fmt::format(
      "why N/V: reduction sum_over_batch_size always divides Σ L × w by N, the count of all terms "
      "(keras/src/losses/loss.py, reduce_weighted_values l.140-195); so apply_mask (l.197) first sets a valid "
      "term's weight to N/V (divide_no_nan, 0 when V = 0) and a masked one's to 0. Σ over the valid terms of "
      "L × N/V, divided by N, is Σ L / V: the mean over the {} valid terms.",
      e.valid);
}

std::size_t example_term(const LossRecord& loss) {
  for (std::size_t i = 0; i < loss.terms.size(); ++i)
    if (loss.weights[i] != 0.0f) return i;
  return 0;
}

LossFormula loss_formula(const LossRecord& loss, std::size_t index, const NumberText& number) {
  LossFormula f;
  const bool logits = loss.scores_are_logits;
  const bool has_scores = loss.scores.size() > 0 && index < loss.terms.size();
  const std::size_t C = has_scores ? loss.scores.row_length() : 0;
  const float* s = has_scores ? loss.scores.row(index) : nullptr;
  const bool sparse = loss.name == "sparse_categorical_crossentropy";
  const float* y = has_scores && !sparse ? loss.target.row(index) : nullptr;
  const std::string place = term_place(loss, index);
  const std::string term = has_scores ? number(loss.terms[index]) : "";
  std::vector<std::string> parts;
  if (loss.name == "mse" || loss.name == "mae") {
    const bool squared = loss.name == "mse";
    f.formula = fmt::format("L = mean over the {} features of {}", C, squared ? "(ŷ − y)²" : "|ŷ − y|");
    f.symbols = "ŷ the prediction (the model's output above), y the target";
    if (!has_scores) return f;
    for (std::size_t c = 0; c < C; ++c)
      parts.push_back(squared ? fmt::format("({} − {})²", number(s[c]), operand(number, y[c]))
                              : fmt::format("|{} − {}|", number(s[c]), operand(number, y[c])));
    f.worked = fmt::format("{}: ({}) / {} = {}", place, joined(parts, " + "), C, term);
  } else if (loss.name == "binary_crossentropy") {
    if (logits) {
      f.formula = fmt::format("L = mean over the {} outputs of max(x, 0) − x × y + log(1 + e^−|x|)", C);
      f.symbols = "x the logit (before the sigmoid), y the target in [0, 1]";
      if (!has_scores) return f;
      for (std::size_t c = 0; c < C; ++c)
        parts.push_back(fmt::format("[max({0}, 0) − {1} × {2} + log(1 + e^−|{0}|)]", number(s[c]),
                                    operand(number, s[c]), number(y[c])));
    } else {
      f.formula = fmt::format("L = mean over the {} outputs of −(y × log p + (1 − y) × log(1 − p))", C);
      f.symbols = "p the predicted probability ŷ clipped to [1e-7, 1 − 1e-7], y the target in [0, 1]";
      if (!has_scores) return f;
      for (std::size_t c = 0; c < C; ++c)
        parts.push_back(fmt::format("−({0} × log {1} + (1 − {0}) × log(1 − {1}))", number(y[c]), number(s[c])));
    }
    f.worked = fmt::format("{}: ({}) / {} = {}", place, joined(parts, " + "), C, term);
  } else if (loss.name == "categorical_crossentropy") {
    if (logits) {
      f.formula = fmt::format("L = Σ over the {} classes of y × (logsumexp(z) − z), logsumexp(z) = log Σ e^z", C);
      f.symbols = "z the logits (before the softmax), y the target's one-hot (or soft) class weights";
    } else {
      f.formula = fmt::format("L = −Σ over the {} classes of y × log p, p = ŷ / Σ ŷ clipped to [1e-7, 1 − 1e-7]", C);
      f.symbols = "ŷ the predicted probabilities, y the target's one-hot (or soft) class weights";
    }
    if (!has_scores) return f;
    float sum = 0, max = s[0];
    for (std::size_t c = 0; c < C; ++c) sum += s[c], max = std::max(max, s[c]);
    float lse = 0;
    for (std::size_t c = 0; c < C; ++c) lse += std::exp(s[c] - max);
    lse = max + std::log(lse);
    for (std::size_t c = 0; c < C; ++c) {
      if (y[c] == 0.0f) continue;  // a class the target gives no weight adds 0
      parts.push_back(logits ? fmt::format("{} × ({} − {})", number(y[c]), number(lse), operand(number, s[c]))
                             : fmt::format("{} × log {}", number(y[c]), number(s[c] / sum)));
    }
    if (parts.empty()) parts.push_back("0");
    f.worked = logits ? fmt::format("{}: logsumexp(z) = {}; L = {} = {}", place, number(lse), joined(parts, " + "), term)
                      : fmt::format("{}: L = −({}) = {} (only the classes with y ≠ 0 add)", place, joined(parts, " + "),
                                    term);
  } else if (sparse) {
    if (logits) {
      f.formula = "L = logsumexp(z) − z[y], logsumexp(z) = log Σ e^z";
      f.symbols = "z the logits (before the softmax), y the target class index";
    } else {
      f.formula = "L = −log(p[y] / Σ p), p = ŷ clipped to [1e-7, 1 − 1e-7]";
      f.symbols = "ŷ the predicted probabilities, y the target class index";
    }
    if (!has_scores) return f;
    const auto label = static_cast<std::size_t>(loss.target.values[index]);
    if (label >= C) return f;
    if (logits) {
      float max = s[0], lse = 0;
      for (std::size_t c = 0; c < C; ++c) max = std::max(max, s[c]);
      for (std::size_t c = 0; c < C; ++c) lse += std::exp(s[c] - max);
      lse = max + std::log(lse);
      f.worked = fmt::format("{}: y = {}, logsumexp(z) = {}; L = {} − {} = {}", place, label, number(lse), number(lse),
                             operand(number, s[label]), term);
    } else {
      float sum = 0;
      for (std::size_t c = 0; c < C; ++c) sum += s[c];
      f.worked = fmt::format("{}: y = {}; L = −log({} / {}) = {}", place, label, number(s[label]), number(sum), term);
    }
  }
  return f;
}

}  // namespace maskviz
