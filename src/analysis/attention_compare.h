// Where the two runs' attention weights part: row by row (sequence b, head n, query step t), for every
// renderer. Weights are [B, N, T, S] in both runs (the same layer with and without the data's masks).
#pragma once

#include <cstddef>
#include <vector>

#include "engine/record.h"

namespace maskviz {

struct AttentionRowDiff {
  std::size_t b = 0, n = 0, t = 0;
  float max_abs = 0;   // largest |Δ| in the row
  bool fully_masked = false;  // the masked run's row had no key it may attend
};

struct AttentionDiff {
  std::vector<AttentionRowDiff> rows;  // every row that differs, in (b, n, t) order
  std::size_t total_rows = 0;          // B·N·T
};

// Empty when either record holds no attention or the shapes differ.
AttentionDiff compare_attention(const LayerRecord& masked, const LayerRecord& unmasked);

}  // namespace maskviz
