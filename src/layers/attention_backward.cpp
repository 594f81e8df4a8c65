// Backward of Attention (attention.cpp), dy = ∂loss/∂y [B, T, Dv]; letters B batch, T query steps,
// S key/value steps, D query/key features, Dv value features. The forward is recomputed from the inputs
// (scores, the combined mask, the softmax) exactly as attention.cpp computes it, then:
//   (5') dO = where(query_mask, dy, 0)                     a masked query row sends nothing back
//   (4') dP[t,s] = Σ_d dO[t,d]·v[s,d]       dv[s,:] += Σ_t P[t,s]·dO[t,:]
//        dL'[t,:] = (dP[t,:] − Σ_s dP[t,s]·P[t,s]) ⊙ P[t,:]            (TensorFlow's _SoftmaxGrad)
//   (3') dL = dL'   at every entry: where(~M, L − 1e9, L) has derivative 1 on both branches (l.180),
//        so a masked key's score gets dL' = (…)·P = 0 because P is exactly 0 there in float32 — not
//        because of the where. In a fully masked row P is (near-)uniform and dL' is not 0.
//   (1') dot:    L = (q·kᵀ)·scale:  dscale = Σ dL ⊙ (q·kᵀ);  dq = (dL·scale)·k;  dk = (dL·scale)ᵀ·q
//        concat: z = tanh(scale·(q_t + k_s)) (scale = 1 without use_scale), L = w_c · Σ_d z:
//                dw_c = Σ dL · Σ_d z;  du = dL·w_c·(1 − z²);  dscale = Σ du ⊙ (q_t + k_s);
//                dq_t += Σ_s du·scale;  dk_s += Σ_t du·scale
//   The key is the value when no key is given: dv += dk.
#include <cmath>

#include "layers/attention_core.h"
#include "layers/backward.h"

namespace maskviz {

void attention_backward(const BackwardArgs& args, const AttentionSpec& spec, BackwardResult& result) {
  const Tensor& q = *args.inputs[0];                          // [B, T, D]
  const Tensor& v = *args.inputs[1];                          // [B, S, Dv]
  const Tensor& k = spec.has_key ? *args.inputs[2] : v;       // [B, S, D]
  const OptMask& query_mask = args.input_masks[0];
  const std::size_t B = q.dim(0), T = q.dim(1), D = q.dim(2), S = v.dim(1), Dv = v.dim(2);
  const float scale = spec.use_scale ? spec.scale->values[0] : 1.0f;
  const float w_c = spec.concat ? spec.concat_score_weight->values[0] : 1.0f;

  // The forward's scores (1) and softmax (2)-(4), recomputed.
  AttentionRecord a;
  a.path = AttentionRecord::Path::subtractive;
  a.mask_constant = kLargeNegative;
  a.batch = B, a.heads = 1, a.query_steps = T, a.key_steps = S;
  a.query_mask = query_mask;
  a.value_mask = args.input_masks[1];
  a.causal = spec.causal;
  combine_masks(a, false);
  a.scores = Tensor({B, 1, T, S});
  for (std::size_t b = 0; b < B; ++b)
    for (std::size_t t = 0; t < T; ++t)
      for (std::size_t s = 0; s < S; ++s) {
        const float* qt = q.data() + (b * T + t) * D;
        const float* ks = k.data() + (b * S + s) * D;
        float sum = 0;
        if (spec.concat) {
          for (std::size_t d = 0; d < D; ++d) sum += std::tanh(spec.use_scale ? scale * (qt[d] + ks[d]) : qt[d] + ks[d]);
          sum *= w_c;
        } else {
          for (std::size_t d = 0; d < D; ++d) sum += qt[d] * ks[d];
          if (spec.use_scale) sum *= scale;
        }
        a.scores.values[(b * T + t) * S + s] = sum;
      }
  masked_softmax(a);

  Tensor dq(q.shape), dk(k.shape), dv(v.shape);
  float dscale = 0, dw_c = 0;
  std::vector<float> dP(S), dL(S);
  for (std::size_t b = 0; b < B; ++b)
    for (std::size_t t = 0; t < T; ++t) {
      if (query_mask && !query_mask->at(b, t)) continue;      // (5'): dO = 0, so is everything below
      const float* dO = args.d_output.data() + (b * T + t) * Dv;  // [Dv]
      const float* P = a.weights.data() + (b * T + t) * S;        // [S]
      float dot = 0;
      for (std::size_t s = 0; s < S; ++s) {                       // (4')
        const float* vs = v.data() + (b * S + s) * Dv;
        float* dvs = dv.data() + (b * S + s) * Dv;
        float acc = 0;
        for (std::size_t d = 0; d < Dv; ++d) {
          acc += dO[d] * vs[d];
          dvs[d] += P[s] * dO[d];
        }
        dP[s] = acc;
        dot += acc * P[s];
      }
      for (std::size_t s = 0; s < S; ++s) dL[s] = (dP[s] - dot) * P[s];  // (4'), (3')
      const float* qt = q.data() + (b * T + t) * D;
      float* dqt = dq.data() + (b * T + t) * D;
      for (std::size_t s = 0; s < S; ++s) {                       // (1')
        const float* ks = k.data() + (b * S + s) * D;
        float* dks = dk.data() + (b * S + s) * D;
        if (spec.concat) {
          float zsum = 0;
          for (std::size_t d = 0; d < D; ++d) {
            const float u = qt[d] + ks[d];
            const float z = std::tanh(spec.use_scale ? scale * u : u);
            zsum += z;
            const float du = dL[s] * w_c * (1 - z * z);
            if (spec.use_scale) dscale += du * u;
            const float dqk = spec.use_scale ? du * scale : du;
            dqt[d] += dqk;
            dks[d] += dqk;
          }
          dw_c += dL[s] * zsum;
        } else {
          if (spec.use_scale) {
            float qk = 0;
            for (std::size_t d = 0; d < D; ++d) qk += qt[d] * ks[d];
            dscale += dL[s] * qk;
          }
          const float dqk = spec.use_scale ? dL[s] * scale : dL[s];
          for (std::size_t d = 0; d < D; ++d) {
            dqt[d] += dqk * ks[d];
            dks[d] += dqk * qt[d];
          }
        }
      }
    }
  if (spec.use_scale) result.grad.weights.push_back({"scale", Tensor(Shape{}, std::vector<float>{dscale})});
  if (spec.concat) result.grad.weights.push_back({"concat_score_weight", Tensor(Shape{}, std::vector<float>{dw_c})});
  if (!spec.has_key)
    for (std::size_t e = 0; e < dv.size(); ++e) dv.values[e] += dk.values[e];
  record_attention_input_gradients(args, std::move(dq), std::move(dv), std::move(dk), spec.has_key, result);
}

void record_attention_input_gradients(const BackwardArgs& args, Tensor d_query, Tensor d_value, Tensor d_key,
                                      bool has_key, BackwardResult& result) {
  result.grad.kind = LayerGradient::Kind::attention;
  result.grad.inputs.push_back({"query", d_query, args.input_masks[0]});
  result.grad.inputs.push_back({"value", d_value, args.input_masks[1], !has_key});
  if (has_key) result.grad.inputs.push_back({"key", d_key, args.input_masks[2]});
  result.d_inputs.push_back(std::move(d_query));
  result.d_inputs.push_back(std::move(d_value));
  if (has_key) result.d_inputs.push_back(std::move(d_key));
}

}  // namespace maskviz
