// Losses, per element then reduced as Keras 3.15.1 reports them from model.evaluate.
//
// Per-element terms, over the last axis C (keras/src/losses/losses.py and backend/tensorflow/nn.py):
//   mse   L = mean_c (y - ŷ)²             mae   L = mean_c |y - ŷ|
//   binary_crossentropy       L = mean_c -(y·log p + (1-y)·log(1-p)),  p = clip(ŷ, ε, 1-ε)
//                             from logits x: mean_c max(x,0) - x·y + log(1 + e^-|x|)
//   categorical_crossentropy  L = -Σ_c y·log clip(ŷ / Σŷ, ε, 1-ε);  from logits: Σ_c y·(logsumexp(x) - x)
//   sparse_categorical_crossentropy  L = logsumexp(z) - z[label],  z = log clip(ŷ, ε, 1-ε) or the logits
// ε = 1e-7 (backend.epsilon()). With a final sigmoid or softmax, the TF backend takes the logits behind
// it (nn.py _get_logits), so those terms are computed from logits.
//
// Reduction "sum_over_batch_size", with N terms and V of them kept by the mask (loss.py apply_mask):
//   w = where(mask, N/V, 0)   (N/V = divide_no_nan: 0 when V = 0)      w = 1 without a mask
//   loss = Σ L·w / N          which is Σ_kept L / V: the mean over the valid steps only,
//                             unless a masked L is NaN or ±inf: then L·0 = NaN and so is the loss.
#include "loss/loss.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

namespace maskviz {

namespace {

constexpr float kEpsilon = 1e-7f;

float clip_probability(float p) { return std::clamp(p, kEpsilon, 1.0f - kEpsilon); }

float log_sum_exp(const float* x, std::size_t n) {
  const float max = *std::max_element(x, x + n);
  float sum = 0;
  for (std::size_t i = 0; i < n; ++i) sum += std::exp(x[i] - max);
  return max + std::log(sum);
}

float term(LossKind kind, bool logits, const float* y, const float* p, std::size_t C, float label) {
  float total = 0;
  switch (kind) {
    case LossKind::mse:
      for (std::size_t c = 0; c < C; ++c) total += (y[c] - p[c]) * (y[c] - p[c]);
      return total / static_cast<float>(C);
    case LossKind::mae:
      for (std::size_t c = 0; c < C; ++c) total += std::fabs(y[c] - p[c]);
      return total / static_cast<float>(C);
    case LossKind::binary_crossentropy:
      for (std::size_t c = 0; c < C; ++c) {
        if (logits) {
          total += std::max(p[c], 0.0f) - p[c] * y[c] + std::log1p(std::exp(-std::fabs(p[c])));
        } else {
          const float q = clip_probability(p[c]);
          total += -(y[c] * std::log(q) + (1.0f - y[c]) * std::log(1.0f - q));
        }
      }
      return total / static_cast<float>(C);
    case LossKind::categorical_crossentropy: {
      if (logits) {
        const float lse = log_sum_exp(p, C);
        for (std::size_t c = 0; c < C; ++c) total += y[c] * (lse - p[c]);
        return total;
      }
      float sum = 0;
      for (std::size_t c = 0; c < C; ++c) sum += p[c];
      for (std::size_t c = 0; c < C; ++c) total += y[c] * std::log(clip_probability(p[c] / sum));
      return -total;
    }
    case LossKind::sparse_categorical_crossentropy: {
      std::vector<float> z(p, p + C);
      if (!logits)
        for (float& v : z) v = std::log(clip_probability(v));
      return log_sum_exp(z.data(), C) - z[static_cast<std::size_t>(label)];
    }
  }
  return 0;
}

Tensor without_last_axis(const Tensor& t) { return Tensor(Shape(t.shape.begin(), t.shape.end() - 1), t.values); }

}  // namespace

// Keras' losses first call squeeze_or_expand_to_same_rank(y_true, y_pred) (keras/src/losses/loss.py): a
// target one axis short of an output whose last axis is 1 is expanded when it is [B] (the same terms as a
// [B, 1] target), and otherwise the output loses that axis: [B, T, 1] against [B, T] becomes [B, T], and
// each term is then a whole sequence's mean over T, padded steps included.
LossRecord compute_loss(const LossSpec& spec, const Tensor& y_pred, const Tensor* keras_logits, const OptMask& mask,
                        const Tensor& target) {
  const bool short_target = spec.kind != LossKind::sparse_categorical_crossentropy &&
                            target.shape.size() + 1 == y_pred.shape.size();
  if (short_target && target.shape.size() == 1)
    return compute_loss(spec, y_pred, keras_logits, mask, Tensor(y_pred.shape, target.values));
  if (short_target) {
    const Tensor squeezed = without_last_axis(y_pred);  // [B, T]
    const std::optional<Tensor> squeezed_logits =
        keras_logits ? std::optional<Tensor>(without_last_axis(*keras_logits)) : std::nullopt;
    LossRecord r = compute_loss(spec, squeezed, squeezed_logits ? &*squeezed_logits : nullptr, mask, target);
    r.warnings.push_back(fmt::format(
        "the target {} has one axis fewer than the output {}: Keras squeezes the output to {}, so each term is the "
        "mean over a whole sequence, padded steps included, and the mask no longer lines up with the terms{}",
        shape_text(target.shape), shape_text(y_pred.shape), shape_text(squeezed.shape),
        mask && y_pred.shape[0] > 1 ? " (with a batch of more than one, Keras 3 then fails to broadcast the mask's "
                                      "weights against the terms; give the target the output's shape)"
                                    : "; give the target the output's shape to mask the padded steps"));
    return r;
  }
  LossRecord r;
  r.name = loss_name(spec.kind);
  r.from_logits = spec.from_logits;
  const bool reads_keras_logits = keras_logits != nullptr && spec.kind != LossKind::mse && spec.kind != LossKind::mae;
  r.used_keras_logits = reads_keras_logits;
  // keras/src/backend/tensorflow/nn.py _get_logits warns when both apply; the op named is the one the
  // loss expects (Sigmoid for bce, Softmax for the categorical ones), whatever activation it was.
  if (reads_keras_logits && spec.from_logits)
    r.warnings.push_back(fmt::format("\"`{}` received `from_logits=True`, but the `output` argument was produced by a "
                                     "{} activation and thus does not represent logits. Was this intended?\" (Keras "
                                     "uses the logits behind the activation, once, so the value is still right)",
                                     r.name, spec.kind == LossKind::binary_crossentropy ? "Sigmoid" : "Softmax"));
  // keras/src/losses/losses.py categorical_crossentropy: one class makes every term 0.
  if (spec.kind == LossKind::categorical_crossentropy && y_pred.row_length() == 1)
    r.warnings.push_back(fmt::format("In loss categorical_crossentropy, expected y_pred.shape to be (batch_size, "
                                     "num_classes) with num_classes > 1. Received: y_pred.shape={}. Consider using "
                                     "'binary_crossentropy' if you only have 2 classes.",
                                     shape_text(y_pred.shape)));
  const Tensor& scores = reads_keras_logits ? *keras_logits : y_pred;
  const bool logits = spec.from_logits || reads_keras_logits;
  r.target = target;
  r.scores = scores;
  r.scores_are_logits = logits;

  const std::size_t C = y_pred.row_length();
  r.terms_shape.assign(y_pred.shape.begin(), y_pred.shape.end() - 1);
  r.total = element_count(r.terms_shape);
  const bool sparse = spec.kind == LossKind::sparse_categorical_crossentropy;
  r.terms.resize(r.total);
  for (std::size_t i = 0; i < r.total; ++i)
    r.terms[i] = term(spec.kind, logits, sparse ? nullptr : target.row(i), scores.row(i), C,
                      sparse ? target.values[i] : 0.0f);

  // Keras applies the mask of y_pred when it lines up with the terms: [B, T].
  const bool masked = mask && r.terms_shape.size() == 2 && r.terms_shape[0] == mask->batch &&
                      r.terms_shape[1] == mask->time;
  r.weights.assign(r.total, 1.0f);
  r.valid = r.total;
  if (masked) {
    r.mask = mask;
    r.valid = mask->valid_count();
    const float scale = r.valid == 0 ? 0.0f : static_cast<float>(r.total) / static_cast<float>(r.valid);
    for (std::size_t i = 0; i < r.total; ++i) r.weights[i] = mask->keep[i] ? scale : 0.0f;
  }
  // Every term is multiplied by its weight, masked ones too (loss.py reduce_weighted_values: values *
  // sample_weight): a NaN or infinite term at a masked step gives NaN · 0 = NaN, and the loss is NaN.
  double sum = 0;  // accumulate in double, round once
  for (std::size_t i = 0; i < r.total; ++i) sum += static_cast<double>(r.terms[i] * r.weights[i]);
  r.weighted_sum = static_cast<float>(sum);
  r.value = r.total == 0 ? 0.0f : r.weighted_sum / static_cast<float>(r.total);
  return r;
}

}  // namespace maskviz
