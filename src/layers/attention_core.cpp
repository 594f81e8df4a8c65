#include "layers/attention_core.h"

#include <algorithm>
#include <cmath>

#include "core/eigen.h"

namespace maskviz {

void combine_masks(AttentionRecord& a, bool use_query_mask) {
  const std::size_t B = a.batch, T = a.query_steps, S = a.key_steps;
  const bool query = use_query_mask && a.query_mask.has_value();
  if (query) a.combined_from.push_back("query_mask[:, :, None]");
  if (a.value_mask) a.combined_from.push_back("value_mask[:, None, :]");
  if (a.key_mask) a.combined_from.push_back("key_mask[:, None, :]");
  if (a.causal) a.combined_from.push_back("causal (t >= s)");
  if (a.explicit_mask) a.combined_from.push_back("attention_mask");
  if (a.combined_from.empty()) return;
  std::vector<std::uint8_t> m(B * T * S, 1);  // [B, T, S]
  for (std::size_t b = 0; b < B; ++b)
    for (std::size_t t = 0; t < T; ++t)
      for (std::size_t s = 0; s < S; ++s) {
        bool keep = true;
        if (query) keep = keep && a.query_mask->at(b, t);
        if (a.value_mask) keep = keep && a.value_mask->at(b, s);
        if (a.key_mask) keep = keep && a.key_mask->at(b, s);
        if (a.causal) keep = keep && causal_at(t, s);
        if (a.explicit_mask) keep = keep && (*a.explicit_mask)[(b * T + t) * S + s] != 0;
        m[(b * T + t) * S + s] = keep ? 1 : 0;
      }
  a.combined_mask = std::move(m);
}

void masked_softmax(AttentionRecord& a) {
  const std::size_t B = a.batch, N = a.heads, T = a.query_steps, S = a.key_steps;
  a.weights = Tensor(a.scores.shape);
  const std::uint8_t* mask = a.combined_mask ? a.combined_mask->data() : nullptr;
  const auto n = static_cast<Eigen::Index>(S);
  Eigen::ArrayXf row(n), keep(n);
  for (std::size_t b = 0; b < B; ++b)
    for (std::size_t t = 0; t < T; ++t) {
      const std::uint8_t* M = mask ? mask + (b * T + t) * S : nullptr;  // [S]
      for (Eigen::Index s = 0; s < n; ++s) keep[s] = M == nullptr || M[s] != 0 ? 1.0f : 0.0f;
      for (std::size_t h = 0; h < N; ++h) {
        const ConstArrayMap L(a.scores.data() + ((b * N + h) * T + t) * S, n);  // [S]
        ArrayMap P(a.weights.data() + ((b * N + h) * T + t) * S, n);           // [S]
        if (M == nullptr) row = L;
        else if (a.path == AttentionRecord::Path::subtractive) row = (keep > 0).select(L, L + kLargeNegative);
        else row = (keep > 0).select(L, Eigen::ArrayXf::Constant(n, a.mask_constant));
        P = (row - row.maxCoeff()).exp();  // vectorised exp: exp(c - max) underflows to exactly 0
        P /= P.sum();
        if (a.path == AttentionRecord::Path::explicit_softmax && M != nullptr) P *= keep;
      }
    }
  if (!mask) return;
  for (std::size_t b = 0; b < B; ++b)
    for (std::size_t t = 0; t < T; ++t) {
      const std::uint8_t* M = mask + (b * T + t) * S;
      if (std::none_of(M, M + S, [](std::uint8_t k) { return k != 0; })) a.fully_masked_rows.emplace_back(b, t);
    }
}

}  // namespace maskviz
