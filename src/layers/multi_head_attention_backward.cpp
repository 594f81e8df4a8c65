// Backward of MultiHeadAttention (multi_head_attention.cpp, equations (1)-(8) there), dy = ∂loss/∂Y
// [B, T, E]. Letters: B batch, T query steps, S key/value steps, N heads, H key_dim, Hv value_dim,
// E output features. The forward is recomputed from the inputs and weights (projections, scores in the
// path's rounding order, the combined mask and the path's masked softmax from attention_core), then:
//   (8') dWo[n,h',e] = Σ_{b,t} O[b,t,n,h']·dY[b,t,e]    dbo = Σ_{b,t} dY    dO = dY·Woᵀ
//   (7') dP[b,n,t,s] = Σ_h' dO[b,t,n,h']·V[b,s,n,h']    dV[b,s,n,:] = Σ_t P[b,n,t,s]·dO[b,t,n,:]
//   (6') explicit path only: dP = where(M, dP, 0)       (the where(M, P, 0) after the softmax)
//        dL' = (dP − Σ_s dP ⊙ P) ⊙ P                    (TensorFlow's _SoftmaxGrad, per row)
//        dL  = where(M, dL', 0)                          (both paths replace masked logits: math_grad.py
//                                                         _SelectGradV2 sends the constant's branch the
//                                                         gradient and the logit exactly 0)
//   (4') fused    L = (Q·Kᵀ)·scale:   dQ = (dL·scale)·K    dK = (dL·scale)ᵀ·Q
//        explicit L = (Q·scale)·Kᵀ:   dQ = (dL·K)·scale    dK = dLᵀ·(Q·scale)
//   (1'-3') dW = Xᵀ·dZ, db = Σ dZ, dX = dZ·Wᵀ for Z = Q, K, V; without a key tensor the key is the
//        value, so dXv gets both dK's and dV's shares.
// So a masked key s gets dL[·,s] = 0 and, when every row that could see it is a valid row (P = 0 there),
// dV[s] = 0 too: its projections, and the embedding row behind it, receive exactly 0 from the scores and
// the values. A fully masked query row (P uniform on the fused path) sends dV = dO/S to every value,
// padding included — 0 when a masked loss gives that row dO = 0.
#include <cmath>

#include "core/eigen.h"
#include "layers/attention_core.h"
#include "layers/backward.h"

namespace maskviz {

namespace {

using Strided = Eigen::Map<Mat, 0, Eigen::OuterStride<>>;

// x [B, steps, D] · kernel [D, N·hd] + bias → [B, steps, N, hd], as the forward's project().
Tensor project(const Tensor& x, const Tensor& W, const Tensor* bias, std::size_t N, std::size_t hd) {
  Tensor out({x.dim(0), x.dim(1), N, hd});
  const auto cols = static_cast<Eigen::Index>(N * hd);
  MatMap y(out.data(), static_cast<Eigen::Index>(x.dim(0) * x.dim(1)), cols);
  y.noalias() = as_matrix(x) * ConstMatMap(W.data(), static_cast<Eigen::Index>(W.dim(0)), cols);
  if (bias) y.rowwise() += ConstMatMap(bias->data(), 1, cols).row(0);
  return out;
}

// (1'-3') for one projection: dZ [B·steps, N·hd] → dkernel, dbias, and dX added into dx.
void project_backward(const Tensor& x, const Tensor& W, const Tensor& dZ, bool use_bias, const char* kernel_name,
                      const char* bias_name, Tensor& dx, std::vector<NamedTensor>& grads) {
  const auto cols = static_cast<Eigen::Index>(W.size() / W.dim(0));
  const ConstMatMap dz(dZ.data(), static_cast<Eigen::Index>(dZ.size()) / cols, cols);
  const ConstMatMap w(W.data(), static_cast<Eigen::Index>(W.dim(0)), cols);
  Tensor dW(W.shape);
  MatMap(dW.data(), w.rows(), cols).noalias() = as_matrix(x).transpose() * dz;
  grads.push_back({kernel_name, std::move(dW)});
  if (use_bias) {
    Tensor db({W.dim(1), W.dim(2)});
    MatMap(db.data(), 1, cols) = dz.colwise().sum();
    grads.push_back({bias_name, std::move(db)});
  }
  as_matrix(dx).noalias() += dz * w.transpose();
}

}  // namespace

void multi_head_attention_backward(const BackwardArgs& args, const MultiHeadAttentionSpec& c, const Layer& layer,
                                   BackwardResult& result) {
  const Tensor& xq = *args.inputs[0];                          // [B, T, Dq]
  const Tensor& xv = *args.inputs[1];                          // [B, S, Dv]
  const Tensor& xk = c.has_key ? *args.inputs[2] : xv;         // [B, S, Dk]
  const std::size_t B = xq.dim(0), T_ = xq.dim(1), S_ = xv.dim(1), N = c.N, H_ = c.H, Hv_ = c.Hv, E = c.E;
  const auto T = static_cast<Eigen::Index>(T_), S = static_cast<Eigen::Index>(S_);
  const auto H = static_cast<Eigen::Index>(H_), Hv = static_cast<Eigen::Index>(Hv_);
  auto bias = [&](const char* name) { return c.use_bias ? &layer.weight(name) : nullptr; };

  // The forward, recomputed: (1)-(3), (4), (5), (6).
  const Tensor Q = project(xq, layer.weight("query_kernel"), bias("query_bias"), N, H_);    // [B, T, N, H]
  const Tensor K = project(xk, layer.weight("key_kernel"), bias("key_bias"), N, H_);        // [B, S, N, H]
  const Tensor V = project(xv, layer.weight("value_kernel"), bias("value_bias"), N, Hv_);   // [B, S, N, Hv]
  AttentionRecord a;
  a.path = c.explicit_path ? AttentionRecord::Path::explicit_softmax : AttentionRecord::Path::fused;
  a.mask_constant = c.explicit_path ? kLargeNegative : kFusedMaskConstant;
  a.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(H_)));
  a.batch = B, a.heads = N, a.query_steps = T_, a.key_steps = S_;
  a.query_mask = args.input_masks[0];
  a.value_mask = args.input_masks[1];
  if (c.has_key) a.key_mask = args.input_masks[2];
  a.causal = c.causal;
  if (c.attention_mask) a.explicit_mask = *c.attention_mask;
  combine_masks(a, true);
  a.scores = Tensor({B, N, T_, S_});
  const Eigen::OuterStride<> qk_stride(static_cast<Eigen::Index>(N * H_)), v_stride(static_cast<Eigen::Index>(N * Hv_));
  for (std::size_t b = 0; b < B; ++b)
    for (std::size_t n = 0; n < N; ++n) {
      ConstStridedRows q(Q.data() + (b * T_ * N + n) * H_, T, H, qk_stride);
      ConstStridedRows k(K.data() + (b * S_ * N + n) * H_, S, H, qk_stride);
      MatMap L(a.scores.data() + (b * N + n) * T_ * S_, T, S);
      if (c.explicit_path) L.noalias() = (q * a.scale) * k.transpose();
      else L.noalias() = a.scale * (q * k.transpose());
    }
  masked_softmax(a);  // a.weights = P [B, N, T, S], zeroed at masked entries on the explicit path
  Tensor O({B, T_, N, Hv_});  // (7)
  for (std::size_t b = 0; b < B; ++b)
    for (std::size_t n = 0; n < N; ++n) {
      ConstMatMap P(a.weights.data() + (b * N + n) * T_ * S_, T, S);
      ConstStridedRows v(V.data() + (b * S_ * N + n) * Hv_, S, Hv, v_stride);
      Strided(O.data() + (b * T_ * N + n) * Hv_, T, Hv, v_stride).noalias() = P * v;
    }

  // (8')
  const auto BT = static_cast<Eigen::Index>(B * T_), NHv = static_cast<Eigen::Index>(N * Hv_);
  const ConstMatMap dY = as_matrix(args.d_output);                                         // [B·T, E]
  const ConstMatMap Wo(layer.weight("output_kernel").data(), NHv, static_cast<Eigen::Index>(E));
  Tensor dWo({N, Hv_, E});
  MatMap(dWo.data(), NHv, static_cast<Eigen::Index>(E)).noalias() = ConstMatMap(O.data(), BT, NHv).transpose() * dY;
  Tensor dO({B, T_, N, Hv_});
  MatMap(dO.data(), BT, NHv).noalias() = dY * Wo.transpose();

  // (7'), (6'), (4') per sequence and head.
  Tensor dQ(Q.shape), dK(K.shape), dV(V.shape);
  const std::uint8_t* mask = a.combined_mask ? a.combined_mask->data() : nullptr;  // [B, T, S]
  Mat dP(T, S), dL(T, S);
  for (std::size_t b = 0; b < B; ++b)
    for (std::size_t n = 0; n < N; ++n) {
      ConstMatMap P(a.weights.data() + (b * N + n) * T_ * S_, T, S);
      ConstStridedRows v(V.data() + (b * S_ * N + n) * Hv_, S, Hv, v_stride);
      ConstStridedRows q(Q.data() + (b * T_ * N + n) * H_, T, H, qk_stride);
      ConstStridedRows k(K.data() + (b * S_ * N + n) * H_, S, H, qk_stride);
      ConstStridedRows dOn(dO.data() + (b * T_ * N + n) * Hv_, T, Hv, v_stride);
      Strided(dV.data() + (b * S_ * N + n) * Hv_, S, Hv, v_stride).noalias() = P.transpose() * dOn;  // (7')
      dP.noalias() = dOn * v.transpose();
      for (Eigen::Index t = 0; t < T; ++t) {
        const std::uint8_t* M = mask ? mask + (b * T_ + static_cast<std::size_t>(t)) * S_ : nullptr;  // [S]
        if (M && c.explicit_path)
          for (Eigen::Index s = 0; s < S; ++s)
            if (!M[s]) dP(t, s) = 0.0f;
        const float dot = (dP.row(t).array() * P.row(t).array()).sum();
        dL.row(t) = (dP.row(t).array() - dot) * P.row(t).array();
        if (M)
          for (Eigen::Index s = 0; s < S; ++s)
            if (!M[s]) dL(t, s) = 0.0f;
      }
      Strided dq(dQ.data() + (b * T_ * N + n) * H_, T, H, qk_stride);
      Strided dk(dK.data() + (b * S_ * N + n) * H_, S, H, qk_stride);
      if (c.explicit_path) {
        dq.noalias() = (dL * k) * a.scale;
        dk.noalias() = dL.transpose() * (q * a.scale);
      } else {
        dq.noalias() = (dL * a.scale) * k;
        dk.noalias() = (dL * a.scale).transpose() * q;
      }
    }

  // (1'-3'), in get_weights() order: query, key, value, output.
  Tensor dxq(xq.shape), dxv(xv.shape), dxk(xk.shape);
  auto& grads = result.grad.weights;
  project_backward(xq, layer.weight("query_kernel"), dQ, c.use_bias, "query_kernel", "query_bias", dxq, grads);
  project_backward(xk, layer.weight("key_kernel"), dK, c.use_bias, "key_kernel", "key_bias", c.has_key ? dxk : dxv,
                   grads);
  project_backward(xv, layer.weight("value_kernel"), dV, c.use_bias, "value_kernel", "value_bias", dxv, grads);
  grads.push_back({"output_kernel", std::move(dWo)});
  if (c.use_bias) {
    Tensor dbo({E});
    MatMap(dbo.data(), 1, static_cast<Eigen::Index>(E)) = dY.colwise().sum();
    grads.push_back({"output_bias", std::move(dbo)});
  }
  record_attention_input_gradients(args, std::move(dxq), std::move(dxv), std::move(dxk), c.has_key, result);
}

}  // namespace maskviz
