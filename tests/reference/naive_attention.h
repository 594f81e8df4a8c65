// The layers of a minimal Transformer block in plain double precision, for the graph walk of
// naive_model.h: Add, Concatenate, LayerNormalization, Softmax, Attention and MultiHeadAttention, written
// from the Keras 3.15.1 formulas (../shared/semantics/attention-and-gradients.md §A.2-A.7), each mask built
// here from the masks the inputs carry, not taken from maskviz. Tensors are DTensor [B, steps, F].
#pragma once

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "layers/layer.h"

namespace maskviz::reference {

// The position of weight `name` in layer.weights() (the order of Params).
inline std::size_t weight_index(const Layer& layer, const std::string& name) {
  const auto& ws = layer.weights();
  for (std::size_t i = 0; i < ws.size(); ++i)
    if (ws[i].name == name) return i;
  throw std::logic_error("no weight " + name);
}

inline void naive_layer_norm(DTensor& x, const Json& c, const Layer& layer, const std::vector<Vec>& w) {
  const std::size_t D = x.row_length(), rows = x.v.size() / D;
  const double eps = c["epsilon"].get<double>();
  for (std::size_t r = 0; r < rows; ++r) {
    double* v = x.row(r);
    double mean = 0, var = 0;
    for (std::size_t d = 0; d < D; ++d) mean += v[d];
    mean /= double(D);
    for (std::size_t d = 0; d < D; ++d) var += (v[d] - mean) * (v[d] - mean);
    var /= double(D);
    for (std::size_t d = 0; d < D; ++d) {
      const double g = c["scale"].get<bool>() ? w[weight_index(layer, "gamma")][d] : 1.0;
      const double b = c["center"].get<bool>() ? w[weight_index(layer, "beta")][d] : 0.0;
      v[d] = (v[d] - mean) / std::sqrt(var + eps) * g + b;
    }
  }
}

// Softmax over the last axis; a [B, T] mask lines up with the input from the right (softmax.py l.57-72).
inline void naive_softmax(DTensor& x, const DMask& mask, std::size_t mask_B, std::size_t mask_T) {
  const std::size_t F = x.row_length(), rows = x.v.size() / F;
  for (std::size_t r = 0; r < rows; ++r) {
    auto keep = [&](std::size_t f) {
      if (!mask) return true;
      if (x.shape.size() == 2) return (*mask)[r * mask_T + f] != 0;
      const std::size_t t = r % x.shape[1];
      return (*mask)[(mask_B == 1 ? 0 : t) * mask_T + (mask_T == 1 ? 0 : f)] != 0;
    };
    double* v = x.row(r);
    double max = -1e300, sum = 0;
    for (std::size_t f = 0; f < F; ++f) max = std::max(max, v[f] = keep(f) ? v[f] : -1e9);
    for (std::size_t f = 0; f < F; ++f) sum += (v[f] = std::exp(v[f] - max));
    for (std::size_t f = 0; f < F; ++f) v[f] = keep(f) ? v[f] / sum : 0.0;
  }
}

// softmax over s of row L [S] where keep[s], the rest replaced by `fill` (or L - 1e9 when subtract).
inline Vec masked_row_softmax(Vec L, const std::vector<bool>& keep, double fill, bool subtract, bool zero_after) {
  double max = -1e300, sum = 0;
  for (std::size_t s = 0; s < L.size(); ++s) {
    if (!keep[s]) L[s] = subtract ? L[s] - 1e9 : fill;
    max = std::max(max, L[s]);
  }
  for (double& l : L) sum += (l = std::exp(l - max));
  for (std::size_t s = 0; s < L.size(); ++s) L[s] = zero_after && !keep[s] ? 0.0 : L[s] / sum;
  return L;
}

// keras.layers.Attention on [q, v(, k)] with masks [q_mask, v_mask]; the output [B, T, Dv].
inline DTensor naive_attention(const DTensor& q, const DTensor& v, const DTensor& k, const DMask& q_mask,
                               const DMask& v_mask, const Json& c, const Layer& layer, const std::vector<Vec>& w) {
  const std::size_t B = q.shape[0], T = q.shape[1], D = q.shape[2], S = v.shape[1], Dv = v.shape[2];
  const bool use_scale = c["use_scale"].get<bool>(), concat = c["score_mode"] == "concat";
  const bool causal = c["use_causal_mask"].get<bool>();
  const double scale = use_scale ? w[weight_index(layer, "scale")][0] : 1.0;
  const double w_c = concat ? w[weight_index(layer, "concat_score_weight")][0] : 1.0;
  DTensor out{{B, T, Dv}, Vec(B * T * Dv, 0.0)};
  for (std::size_t b = 0; b < B; ++b)
    for (std::size_t t = 0; t < T; ++t) {
      Vec L(S);
      std::vector<bool> keep(S);
      for (std::size_t s = 0; s < S; ++s) {
        double sum = 0;
        for (std::size_t d = 0; d < D; ++d) {
          const double qd = q.v[(b * T + t) * D + d], kd = k.v[(b * S + s) * D + d];
          sum += concat ? std::tanh(use_scale ? scale * (qd + kd) : qd + kd) : qd * kd;
        }
        L[s] = concat ? w_c * sum : sum * scale;
        keep[s] = (!v_mask || (*v_mask)[b * S + s]) && (!causal || s <= t);
      }
      const Vec P = masked_row_softmax(L, keep, 0, true, false);
      if (q_mask && !(*q_mask)[b * T + t]) continue;  // the output at a masked query is 0
      for (std::size_t s = 0; s < S; ++s)
        for (std::size_t d = 0; d < Dv; ++d) out.v[(b * T + t) * Dv + d] += P[s] * v.v[(b * S + s) * Dv + d];
    }
  return out;
}

// MultiHeadAttention on query, value(, key) with the masks they carry; the output [B, T, E].
inline DTensor naive_mha(const DTensor& xq, const DTensor& xv, const DTensor& xk, const DMask& q_mask,
                         const DMask& v_mask, const DMask& k_mask, const Json& c, const Layer& layer,
                         const std::vector<Vec>& w) {
  const std::size_t N = c["num_heads"], H = c["key_dim"], Hv = c["value_dim"], E = c["output_shape"];
  const bool bias = c["use_bias"].get<bool>(), causal = c["use_causal_mask"].get<bool>();
  const bool explicit_path = c["dropout"].get<double>() > 0 || c["return_attention_scores"].get<bool>();
  const std::size_t B = xq.shape[0], T = xq.shape[1], S = xv.shape[1];
  auto proj = [&](const DTensor& x, const char* kn, const char* bn, std::size_t hd) {
    const std::size_t steps = x.shape[1], D = x.shape[2];
    const Vec& W = w[weight_index(layer, kn)];
    Vec out(B * steps * N * hd);
    for (std::size_t i = 0; i < B * steps; ++i)
      for (std::size_t col = 0; col < N * hd; ++col) {
        double sum = bias ? w[weight_index(layer, bn)][col] : 0.0;
        for (std::size_t d = 0; d < D; ++d) sum += x.v[i * D + d] * W[d * N * hd + col];
        out[i * N * hd + col] = sum;
      }
    return out;
  };
  const Vec Q = proj(xq, "query_kernel", "query_bias", H), K = proj(xk, "key_kernel", "key_bias", H),
            V = proj(xv, "value_kernel", "value_bias", Hv);
  const Vec& Wo = w[weight_index(layer, "output_kernel")];
  DTensor y{{B, T, E}, Vec(B * T * E, 0.0)};
  for (std::size_t b = 0; b < B; ++b)
    for (std::size_t t = 0; t < T; ++t) {
      Vec o(N * Hv, 0.0);
      std::vector<bool> keep(S);
      for (std::size_t s = 0; s < S; ++s)
        keep[s] = (!q_mask || (*q_mask)[b * T + t]) && (!v_mask || (*v_mask)[b * S + s]) &&
                  (!k_mask || (*k_mask)[b * S + s]) && (!causal || s <= t);
      for (std::size_t n = 0; n < N; ++n) {
        Vec L(S);
        for (std::size_t s = 0; s < S; ++s) {
          double dot = 0;
          for (std::size_t h = 0; h < H; ++h) dot += Q[((b * T + t) * N + n) * H + h] * K[((b * S + s) * N + n) * H + h];
          L[s] = dot / std::sqrt(double(H));
        }
        const Vec P = masked_row_softmax(L, keep, explicit_path ? -1e9 : -0.7 * 3.38953e38, false, explicit_path);
        for (std::size_t s = 0; s < S; ++s)
          for (std::size_t h = 0; h < Hv; ++h) o[n * Hv + h] += P[s] * V[((b * S + s) * N + n) * Hv + h];
      }
      for (std::size_t e = 0; e < E; ++e) {
        double sum = bias ? w[weight_index(layer, "output_bias")][e] : 0.0;
        for (std::size_t col = 0; col < N * Hv; ++col) sum += o[col] * Wo[col * E + e];
        y.v[(b * T + t) * E + e] = sum;
      }
    }
  return y;
}

}  // namespace maskviz::reference
