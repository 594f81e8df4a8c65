// Backward of the losses (loss/loss.cpp). loss = Σ_i L_i · w_i / N, so the gradient of each term is
//   ∂loss/∂L_i = w_i / N            exactly 0 at a masked term; 1/V at a kept one
// and ∂loss/∂s = (w_i / N) · ∂L_i/∂s for the scores s of term i (over the last axis C), which is
// 0 · (something infinite) = NaN when the forward pass overflowed at a masked term, as in TensorFlow.
//   mse   ∂L/∂ŷ = 2(ŷ - y)/C                     mae   ∂L/∂ŷ = sign(ŷ - y)/C
//   binary_crossentropy  logits x: (σ(x) - y)/C;  probabilities: (-y/p + (1-y)/(1-p))/C with
//                        p = clip(ŷ, ε, 1-ε), 0 where the clip bites
//   categorical_crossentropy  logits x: softmax(x)·Σy - y;  probabilities: q = ŷ/S, S = Σŷ,
//                        g_c = -y_c/clip(q_c) (0 where clipped), ∂L/∂ŷ_j = g_j/S - Σ_c g_c ŷ_c/S²
//   sparse_categorical_crossentropy  z = logits or log clip(ŷ): ∂L/∂z = softmax(z) - onehot(label),
//                        and ∂z/∂ŷ = 1/clip(ŷ) (0 where clipped)
// The shown gradient at probabilities behind _keras_logits uses the same formulas with no clipping.
#include "grad/loss_backward.h"

#include <algorithm>
#include <cmath>

namespace maskviz {

namespace {

constexpr float kEpsilon = 1e-7f;

bool in_clip(float p) { return p >= kEpsilon && p <= 1.0f - kEpsilon; }

void softmax(const float* x, std::size_t C, float* out) {
  const float max = *std::max_element(x, x + C);
  float sum = 0;
  for (std::size_t c = 0; c < C; ++c) sum += (out[c] = std::exp(x[c] - max));
  for (std::size_t c = 0; c < C; ++c) out[c] /= sum;
}

// ∂L_i/∂s for one term: s the scores (logits when `logits`), y the target row (or the label).
void term_gradient(LossKind kind, bool logits, bool clip, const float* y, float label, const float* s, std::size_t C,
                   float* ds) {
  const auto Cf = static_cast<float>(C);
  switch (kind) {
    case LossKind::mse:
      for (std::size_t c = 0; c < C; ++c) ds[c] = 2.0f * (s[c] - y[c]) / Cf;
      return;
    case LossKind::mae:
      for (std::size_t c = 0; c < C; ++c) ds[c] = (s[c] > y[c] ? 1.0f : s[c] < y[c] ? -1.0f : 0.0f) / Cf;
      return;
    case LossKind::binary_crossentropy:
      for (std::size_t c = 0; c < C; ++c) {
        if (logits) {
          ds[c] = (1.0f / (1.0f + std::exp(-s[c])) - y[c]) / Cf;
        } else {
          const float p = clip ? std::clamp(s[c], kEpsilon, 1.0f - kEpsilon) : s[c];
          ds[c] = clip && !in_clip(s[c]) ? 0.0f : (-y[c] / p + (1.0f - y[c]) / (1.0f - p)) / Cf;
        }
      }
      return;
    case LossKind::categorical_crossentropy: {
      float sum_y = 0;
      for (std::size_t c = 0; c < C; ++c) sum_y += y[c];
      if (logits) {
        softmax(s, C, ds);
        for (std::size_t c = 0; c < C; ++c) ds[c] = ds[c] * sum_y - y[c];
        return;
      }
      float S = 0, weighted = 0;
      for (std::size_t c = 0; c < C; ++c) S += s[c];
      std::vector<float> g(C);
      for (std::size_t c = 0; c < C; ++c) {
        const float q = s[c] / S;
        g[c] = clip && !in_clip(q) ? 0.0f : -y[c] / (clip ? std::clamp(q, kEpsilon, 1.0f - kEpsilon) : q);
        weighted += g[c] * s[c];
      }
      for (std::size_t c = 0; c < C; ++c) ds[c] = g[c] / S - weighted / (S * S);
      return;
    }
    case LossKind::sparse_categorical_crossentropy: {
      const auto l = static_cast<std::size_t>(label);
      if (logits) {
        softmax(s, C, ds);
        ds[l] -= 1.0f;
        return;
      }
      std::vector<float> z(C);
      for (std::size_t c = 0; c < C; ++c) z[c] = std::log(clip ? std::clamp(s[c], kEpsilon, 1.0f - kEpsilon) : s[c]);
      softmax(z.data(), C, ds);
      ds[l] -= 1.0f;
      for (std::size_t c = 0; c < C; ++c)
        ds[c] = clip && !in_clip(s[c]) ? 0.0f : ds[c] / (clip ? std::clamp(s[c], kEpsilon, 1.0f - kEpsilon) : s[c]);
      return;
    }
  }
}

// Σ_i (w_i / N) · ∂L_i/∂s over every term.
Tensor gradient_of(const LossSpec& spec, bool logits, bool clip, const Tensor& scores, const LossRecord& record,
                   const Tensor& target) {
  const std::size_t C = scores.row_length();
  const bool sparse = spec.kind == LossKind::sparse_categorical_crossentropy;
  const float inv_n = record.total == 0 ? 0.0f : 1.0f / static_cast<float>(record.total);
  Tensor d(scores.shape);
  for (std::size_t i = 0; i < record.total; ++i) {
    term_gradient(spec.kind, logits, clip, sparse ? nullptr : target.row(i), sparse ? target.values[i] : 0.0f,
                  scores.row(i), C, d.row(i));
    const float g = inv_n * record.weights[i];  // ∂loss/∂L_i, exactly 0 at a masked term
    for (std::size_t c = 0; c < C; ++c) d.row(i)[c] *= g;
  }
  return d;
}

}  // namespace

LossGradient loss_backward(const LossSpec& spec, const Tensor& y_pred, const Tensor* keras_logits,
                           const LossRecord& record, const Tensor& target) {
  LossGradient g;
  if (record.used_keras_logits && keras_logits != nullptr) {
    g.d_logits = gradient_of(spec, true, true, *keras_logits, record, target);
    g.d_pred = gradient_of(spec, false, false, y_pred, record, target);
  } else {
    g.d_pred = gradient_of(spec, spec.from_logits, true, y_pred, record, target);
  }
  return g;
}

}  // namespace maskviz
