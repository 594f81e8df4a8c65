#include "analysis/attention_compare.h"

#include <algorithm>
#include <cmath>

namespace maskviz {

AttentionDiff compare_attention(const LayerRecord& masked, const LayerRecord& unmasked) {
  AttentionDiff diff;
  const auto* m = masked.as<AttentionRecord>();
  const auto* u = unmasked.as<AttentionRecord>();
  if (m == nullptr || u == nullptr || m->weights.shape != u->weights.shape || m->weights.rank() != 4) return diff;
  const std::size_t N = m->heads, T = m->query_steps, S = m->key_steps;
  diff.total_rows = m->batch * N * T;
  for (std::size_t row = 0; row < diff.total_rows; ++row) {
    const float* a = m->weights.data() + row * S;  // [S]
    const float* b = u->weights.data() + row * S;  // [S]
    float max_abs = 0;
    for (std::size_t s = 0; s < S; ++s) max_abs = std::max(max_abs, std::fabs(a[s] - b[s]));
    if (max_abs == 0) continue;
    const std::size_t batch = row / (N * T), t = row % T;
    const bool fully = std::find(m->fully_masked_rows.begin(), m->fully_masked_rows.end(),
                                 std::pair<std::size_t, std::size_t>{batch, t}) != m->fully_masked_rows.end();
    diff.rows.push_back({batch, (row / T) % N, t, max_abs, fully});
  }
  return diff;
}

}  // namespace maskviz
