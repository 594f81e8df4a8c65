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
  // Row by row, one source at a time: M[b, t, :] = query[b, t] ∧ value[b, :] ∧ key[b, :] ∧ causal[t, :] ∧ explicit[b, t, :].
  std::vector<std::uint8_t> m(B * T * S);  // [B, T, S]
  for (std::size_t b = 0; b < B; ++b)
    for (std::size_t t = 0; t < T; ++t) {
      std::uint8_t* row = m.data() + (b * T + t) * S;  // [S]
      std::fill(row, row + S, static_cast<std::uint8_t>(!query || a.query_mask->at(b, t)));
      for (const OptMask* keys : {&a.value_mask, &a.key_mask})
        if (*keys)
          for (std::size_t s = 0; s < S; ++s) row[s] &= static_cast<std::uint8_t>((*keys)->at(b, s));
      if (a.causal)
        for (std::size_t s = 0; s < S; ++s) row[s] &= static_cast<std::uint8_t>(causal_at(t, s));
      if (a.explicit_mask)
        for (std::size_t s = 0; s < S; ++s) row[s] &= static_cast<std::uint8_t>((*a.explicit_mask)[(b * T + t) * S + s] != 0);
    }
  a.combined_mask = std::move(m);
}

void masked_softmax_row(const AttentionRecord& a, const float* L, const std::uint8_t* M, float* P,
                        Eigen::ArrayXf& scratch) {
  const auto n = static_cast<Eigen::Index>(a.key_steps);
  scratch.resize(n);
  Eigen::ArrayXf& e = scratch;  // [S]
  if (M == nullptr) e = ConstArrayMap(L, n);
  else if (a.path == AttentionRecord::Path::subtractive)
    for (Eigen::Index s = 0; s < n; ++s) e[s] = M[s] ? L[s] : L[s] + kLargeNegative;
  else
    for (Eigen::Index s = 0; s < n; ++s) e[s] = M[s] ? L[s] : a.mask_constant;
  e = (e - e.maxCoeff()).exp();  // vectorised exp: exp(c - max) underflows to exactly 0
  ArrayMap(P, n) = e / e.sum();
  if (a.path == AttentionRecord::Path::explicit_softmax && M != nullptr)
    for (Eigen::Index s = 0; s < n; ++s)
      if (!M[s]) P[s] = 0.0f;
}

void find_fully_masked_rows(AttentionRecord& a) {
  if (!a.combined_mask) return;
  const std::size_t B = a.batch, T = a.query_steps, S = a.key_steps;
  for (std::size_t b = 0; b < B; ++b)
    for (std::size_t t = 0; t < T; ++t) {
      const std::uint8_t* M = a.combined_mask->data() + (b * T + t) * S;  // [S]
      if (std::none_of(M, M + S, [](std::uint8_t k) { return k != 0; })) a.fully_masked_rows.emplace_back(b, t);
    }
}

void masked_softmax(AttentionRecord& a) {
  const std::size_t B = a.batch, N = a.heads, T = a.query_steps, S = a.key_steps;
  a.weights = Tensor(a.scores.shape);
  const std::uint8_t* mask = a.combined_mask ? a.combined_mask->data() : nullptr;
  Eigen::ArrayXf scratch(static_cast<Eigen::Index>(S));
  for (std::size_t b = 0; b < B; ++b)
    for (std::size_t h = 0; h < N; ++h)
      for (std::size_t t = 0; t < T; ++t) {
        const std::size_t row = ((b * N + h) * T + t) * S;
        masked_softmax_row(a, a.scores.data() + row, mask ? mask + (b * T + t) * S : nullptr, a.weights.data() + row,
                           scratch);
      }
  find_fully_masked_rows(a);
}

}  // namespace maskviz
