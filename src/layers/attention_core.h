// What MultiHeadAttention and Attention share: the combined mask and the masked softmax of one path.
// Letters: B batch, N heads, T query steps, S key/value steps.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/eigen.h"
#include "engine/record.h"

namespace maskviz {

// The fused path's constant: -0.7 * 3.38953e38 in float32 (keras/src/backend/tensorflow/nn.py
// _get_large_negative, l.1683-1701).
inline constexpr float kFusedMaskConstant = -0.7f * 3.38953e38f;
// Keras' Softmax layer (explicit path) and Attention's subtraction: 1e9 (layers/activations/softmax.py
// l.7-11, layers/attention/attention.py l.173-180).
inline constexpr float kLargeNegative = -1e9f;

// The AND of the mask sources, [B, T, S], true = may attend, as MultiHeadAttention's
// _compute_attention_mask builds it (multi_head_attention.py l.704-777); none when no source is given.
// `explicit_mask` is already broadcast to [B, T, S]. Fills a.combined_mask and a.combined_from.
void combine_masks(AttentionRecord& a, bool use_query_mask);

// Softmax over s of each row of `scores` [B, N, T, S] under a.combined_mask, on a.path:
//   fused:       L' = where(M, L, c); P = softmax(L')
//   explicit:    L' = where(M, L, -1e9); P = softmax(L'); P = where(M, P, 0)
//   subtractive: L' = where(M, L, L - 1e9); P = softmax(L')
// Writes a.weights and a.fully_masked_rows.
void masked_softmax(AttentionRecord& a);

// One row of it: L [S] the scaled scores, M [S] the combined mask's row (nullptr: no mask), P [S] the
// weights. The row is worked in `scratch` (resized to S), an Eigen-aligned array, so that every row takes
// the same vectorised exp and the same order of summation wherever the record's buffers happen to lie
// (an unaligned destination would move the packets' boundaries, and with them the last bit of the sum).
void masked_softmax_row(const AttentionRecord& a, const float* L, const std::uint8_t* M, float* P,
                        Eigen::ArrayXf& scratch);

// The rows (b, t) of the combined mask where no key may be attended, into a.fully_masked_rows.
void find_fully_masked_rows(AttentionRecord& a);

// The causal grid [T, S]: row t may see columns 0..t (top-left aligned, the cumsum construction).
inline bool causal_at(std::size_t t, std::size_t s) { return s <= t; }

}  // namespace maskviz
