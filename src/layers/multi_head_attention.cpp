// MultiHeadAttention(num_heads N, key_dim H, value_dim Hv = H, output_shape E = Dq, use_bias)
// (keras/src/layers/attention/multi_head_attention.py, v3.15.1). Query [B, T, Dq], value [B, S, Dv],
// key [B, S, Dk] (the value when not given):
//   (1) Q[b,t,n,h]  = Σ_d Xq[b,t,d]·Wq[d,n,h] + bq[n,h]            EinsumDense "abc,cde->abde"
//   (2) K[b,s,n,h]  = Σ_d Xk[b,s,d]·Wk[d,n,h] + bk[n,h]
//   (3) V[b,s,n,h'] = Σ_d Xv[b,s,d]·Wv[d,n,h'] + bv[n,h']
//   (4) L[b,n,t,s]  = (Σ_h Q·K)·(1/√H)    fused path; explicit path: Σ_h (Q·(1/√H))·K   (l.583-589)
//   (5) M[b,t,s]    = query_mask[b,t] ∧ value_mask[b,s] ∧ key_mask[b,s] ∧ causal[t,s] ∧ attention_mask[b,t,s]
//   (6) P           = softmax_s(where(M, L, c)); explicit path then P = where(M, P, 0)
//                     c = -0.7·3.38953e38 (fused, backend/tensorflow/nn.py) or -1e9 (explicit, Softmax layer)
//   (7) O[b,t,n,h'] = Σ_s P[b,n,t,s]·V[b,s,n,h']
//   (8) Y[b,t,e]    = Σ_{n,h'} O[b,t,n,h']·Wo[n,h',e] + bo[e]                  EinsumDense "abcd,cde->abe"
// The path (l.521-525): explicit when dropout > 0 (even at inference) or return_attention_scores, else
// fused. Masks (l.628-631, l.696-698): the query mask is taken from the query tensor, the value mask from
// the value tensor (Layer.__call__ fills value_mask), the key mask only when a key tensor is passed; the
// output mask is the query's; then the masks of the tensors it was called on are set to None.
#include <fmt/format.h>

#include <cmath>

#include "core/eigen.h"
#include "core/errors.h"
#include "layers/attention_core.h"
#include "layers/backward.h"
#include "layers/layer.h"
#include "scenario/json_fields.h"

namespace maskviz {

namespace {

// An attention_mask: [B, T, S] or [T, S] of booleans or 0/1, broadcast to [B, T, S].
std::vector<std::uint8_t> read_attention_mask(const Json& value, const std::string& pointer, std::size_t B,
                                              std::size_t T, std::size_t S) {
  const bool rank3 = value.is_array() && !value.empty() && value[0].is_array() && !value[0].empty() &&
                     value[0][0].is_array();
  const std::string expected = fmt::format("[{}, {}, {}] or [{}, {}] of booleans or 0/1", B, T, S, T, S);
  auto expect_array = [&](const Json& v, const std::string& at, std::size_t n) {
    if (!v.is_array() || v.size() != n)
      throw ScenarioError(at, fmt::format("attention_mask has the wrong shape; expected {} (query steps T, key steps "
                                          "S), got {}", expected, v.is_array() ? fmt::format("{} entries here", v.size())
                                                                              : json_kind(v)));
  };
  std::vector<std::uint8_t> grid(B * T * S);
  const std::size_t batches = rank3 ? B : 1;
  if (rank3) expect_array(value, pointer, B);
  for (std::size_t b = 0; b < batches; ++b) {
    const Json& plane = rank3 ? value[b] : value;
    const std::string at_b = rank3 ? pointer_append(pointer, b) : pointer;
    expect_array(plane, at_b, T);
    for (std::size_t t = 0; t < T; ++t) {
      const std::string at_t = pointer_append(at_b, t);
      expect_array(plane[t], at_t, S);
      for (std::size_t s = 0; s < S; ++s) {
        const Json& leaf = plane[t][s];
        const bool ok = leaf.is_boolean() || (leaf.is_number() && (leaf == 0 || leaf == 1));
        if (!ok)
          throw ScenarioError(pointer_append(at_t, s), fmt::format("expected true/false or 0/1 in attention_mask "
                                                                   "(1 = may attend), got {}", json_kind(leaf)));
        const bool keep = leaf.is_boolean() ? leaf.get<bool>() : leaf.get<double>() != 0;
        for (std::size_t bb = rank3 ? b : 0; bb < (rank3 ? b + 1 : B); ++bb) grid[(bb * T + t) * S + s] = keep;
      }
    }
  }
  return grid;
}

class MultiHeadAttentionLayer final : public Layer {
 public:
  explicit MultiHeadAttentionLayer(LayerSite& site);
  bool supports_masking() const override { return true; }
  bool clears_input_masks() const override { return true; }
  MaskAction mask_action(bool arrives, RunMode) const override {
    return arrives ? MaskAction::consumed_passed_on : MaskAction::none;
  }
  MaskUse mask_use() const override {
    return {"", "the query and value masks build the attention mask; the output takes the query's mask", "", ""};
  }
  Json config() const override {
    Json c = {{"num_heads", N_},           {"key_dim", H_},         {"value_dim", Hv_},
              {"output_shape", E_},        {"use_bias", use_bias_}, {"dropout", dropout_},
              {"use_causal_mask", causal_}, {"return_attention_scores", return_scores_}};
    c["attention_mask"] = attention_mask_ ? Json("given") : Json(nullptr);
    return c;
  }
  std::vector<WeightSpec> weight_specs() const override;
  std::size_t record_floats(Detail detail) const override {
    std::size_t floats = Layer::record_floats(detail) + B_ * T_ * N_ * Hv_;
    if (detail != Detail::outputs) floats += B_ * N_ * T_ * S_ * 2;  // scores and weights
    if (detail == Detail::full)  // the projections: each operand, and its product and result per head
      floats += B_ * (T_ * Dq_ + S_ * (Dk_ + Dv_)) + 2 * B_ * N_ * (T_ * H_ + S_ * (H_ + Hv_));
    return floats;
  }
  void forward(const ForwardArgs& args, ForwardResult& result, LayerRecord& record) const override;
  bool has_backward() const override { return true; }
  void backward(const BackwardArgs& args, BackwardResult& result) const override {  // *_backward.cpp
    multi_head_attention_backward(args, {N_, H_, Hv_, E_, use_bias_, causal_, explicit_path(), has_key_,
                                         attention_mask_ ? &*attention_mask_ : nullptr}, *this, result);
  }

 private:
  bool explicit_path() const { return return_scores_ || dropout_ > 0; }
  Tensor project(const Tensor& x, const char* kernel, const char* bias, std::size_t heads_dim,
                 AttentionProjection* shown) const;
  void attend(AttentionRecord& a, const Tensor& Q, const Tensor& K, const Tensor& V, bool keep_maps) const;
  void add_notes(const AttentionRecord& a, LayerRecord& record) const;

  std::size_t N_ = 0, H_ = 0, Hv_ = 0, E_ = 0;
  std::size_t B_ = 0, T_ = 0, S_ = 0, Dq_ = 0, Dv_ = 0, Dk_ = 0;
  bool use_bias_ = true, causal_ = false, return_scores_ = false, has_key_ = false;
  double dropout_ = 0;
  std::optional<std::vector<std::uint8_t>> attention_mask_;  // [B, T, S], true = may attend
};

MultiHeadAttentionLayer::MultiHeadAttentionLayer(LayerSite& site)
    : Layer("MultiHeadAttention", site.name, site.input_shape) {
  auto& f = site.fields;
  for (std::size_t i = 0; i < site.input_shapes.size(); ++i)
    if (site.input_shapes[i].size() != 3)
      throw ScenarioError(f.pointer_of("inputs"), fmt::format("MultiHeadAttention's {} has shape {}; expected "
                                                              "[batch, steps, features]", site.input_roles[i],
                                                              shape_text(site.input_shapes[i])));
  const Shape& q = site.input_shapes[0];
  const Shape& v = site.input_shapes[1];
  has_key_ = site.input_shapes.size() > 2;
  const Shape& k = has_key_ ? site.input_shapes[2] : v;
  if (v[0] != q[0] || k[0] != q[0] || k[1] != v[1])
    throw ScenarioError(f.pointer_of("inputs"), fmt::format("query {}, value {}{} do not fit: expected one batch size "
                                                            "and as many key steps as value steps", shape_text(q),
                                                            shape_text(v), has_key_ ? ", key " + shape_text(k) : ""));
  B_ = q[0], T_ = q[1], Dq_ = q[2], S_ = v[1], Dv_ = v[2], Dk_ = k[2];
  N_ = static_cast<std::size_t>(f.integer("num_heads", std::nullopt, 1, 4096));
  H_ = static_cast<std::size_t>(f.integer("key_dim", std::nullopt, 1, 1 << 16));
  Hv_ = static_cast<std::size_t>(f.integer("value_dim", static_cast<long long>(H_), 1, 1 << 16));
  E_ = static_cast<std::size_t>(f.integer("output_shape", static_cast<long long>(Dq_), 1, 1 << 20));
  use_bias_ = f.boolean("use_bias", true);
  dropout_ = f.number("dropout", 0.0);
  if (dropout_ < 0 || dropout_ >= 1)
    throw ScenarioError(f.pointer_of("dropout"), "dropout is out of range; expected a number in [0, 1)");
  causal_ = f.boolean("use_causal_mask", false);
  return_scores_ = f.boolean("return_attention_scores", false);
  if (const Json* m = f.raw("attention_mask")) attention_mask_ = read_attention_mask(*m, f.pointer_of("attention_mask"), B_, T_, S_);
  output_shape_ = {B_, T_, E_};
}

std::vector<WeightSpec> MultiHeadAttentionLayer::weight_specs() const {
  // get_weights() order: query, key, value, output dense, each kernel then bias (l.294-361). Kernels are
  // glorot_uniform with Keras' compute_fans over [D, N, H] (EinsumDense passes no input/output axes).
  std::vector<WeightSpec> specs;
  auto add = [&](const char* kernel, Shape kernel_shape, const char* bias, Shape bias_shape) {
    specs.push_back({kernel, kernel_shape, Initializer::glorot_uniform()});
    if (use_bias_) specs.push_back({bias, std::move(bias_shape), Initializer::zeros()});
  };
  add("query_kernel", {Dq_, N_, H_}, "query_bias", {N_, H_});
  add("key_kernel", {Dk_, N_, H_}, "key_bias", {N_, H_});
  add("value_kernel", {Dv_, N_, Hv_}, "value_bias", {N_, Hv_});
  add("output_kernel", {N_, Hv_, E_}, "output_bias", {E_});
  return specs;
}

// (1)-(3): x [B, steps, D] · kernel [D, N·heads_dim] + bias → [B, steps, N, heads_dim]. `shown` (Detail::full)
// receives the operand, the product before the bias and the result.
Tensor MultiHeadAttentionLayer::project(const Tensor& x, const char* kernel, const char* bias, std::size_t heads_dim,
                                        AttentionProjection* shown) const {
  const Tensor& W = weight(kernel);  // [D, N, heads_dim]
  Tensor out({x.dim(0), x.dim(1), N_, heads_dim});
  const auto cols = static_cast<Eigen::Index>(N_ * heads_dim);
  MatMap y(out.data(), static_cast<Eigen::Index>(x.dim(0) * x.dim(1)), cols);
  y.noalias() = as_matrix(x) * ConstMatMap(W.data(), static_cast<Eigen::Index>(W.dim(0)), cols);
  if (shown) shown->operand = x, shown->product = out;
  if (use_bias_) y.rowwise() += ConstMatMap(weight(bias).data(), 1, cols).row(0);
  if (shown) shown->result = out;
  return out;
}

// (4), (6), (7), one (sequence, head) at a time, so that its [T, S] block of scores is still in cache when
// the softmax reads it and its weights when P·V reads them: strided views of Q [T, H], K [S, H], V [S, Hv]
// inside [B, steps, N, ·], contiguous blocks of the record's scores and weights [B, N, T, S].
void MultiHeadAttentionLayer::attend(AttentionRecord& a, const Tensor& Q, const Tensor& K, const Tensor& V,
                                     bool keep_maps) const {
  const auto T = static_cast<Eigen::Index>(T_), S = static_cast<Eigen::Index>(S_);
  const auto H = static_cast<Eigen::Index>(H_), Hv = static_cast<Eigen::Index>(Hv_);
  // The maps are recorded at Detail::steps and full, as a recurrent layer records its steps; at outputs
  // each block goes through one reused [T, S] scratch and the record keeps no map (exported as null).
  if (keep_maps) {
    a.scores = Tensor({B_, N_, T_, S_});
    a.weights = Tensor({B_, N_, T_, S_});
  }
  std::vector<float> block_scores(keep_maps ? 0 : T_ * S_), block_weights(keep_maps ? 0 : T_ * S_);  // [T, S]
  a.context = Tensor({B_, T_, N_, Hv_});
  const std::uint8_t* mask = a.combined_mask ? a.combined_mask->data() : nullptr;  // [B, T, S]
  Eigen::ArrayXf scratch(S);
  for (std::size_t b = 0; b < B_; ++b)
    for (std::size_t n = 0; n < N_; ++n) {
      ConstStridedRows q(Q.data() + (b * T_ * N_ + n) * H_, T, H, Eigen::OuterStride<>(static_cast<Eigen::Index>(N_ * H_)));
      ConstStridedRows k(K.data() + (b * S_ * N_ + n) * H_, S, H, Eigen::OuterStride<>(static_cast<Eigen::Index>(N_ * H_)));
      ConstStridedRows v(V.data() + (b * S_ * N_ + n) * Hv_, S, Hv, Eigen::OuterStride<>(static_cast<Eigen::Index>(N_ * Hv_)));
      float* scores = keep_maps ? a.scores.data() + (b * N_ + n) * T_ * S_ : block_scores.data();     // [T, S]
      float* weights = keep_maps ? a.weights.data() + (b * N_ + n) * T_ * S_ : block_weights.data();  // [T, S]
      MatMap L(scores, T, S);
      if (explicit_path()) L.noalias() = (q * a.scale) * k.transpose();
      else L.noalias() = a.scale * (q * k.transpose());  // the GEMM's alpha: each dot product, then the scale
      for (std::size_t t = 0; t < T_; ++t)
        masked_softmax_row(a, scores + t * S_, mask ? mask + (b * T_ + t) * S_ : nullptr, weights + t * S_, scratch);
      Eigen::Map<Mat, 0, Eigen::OuterStride<>> o(a.context.data() + (b * T_ * N_ + n) * Hv_, T, Hv,
                                                  Eigen::OuterStride<>(static_cast<Eigen::Index>(N_ * Hv_)));
      o.noalias() = ConstMatMap(weights, T, S) * v;
    }
  find_fully_masked_rows(a);
}

void MultiHeadAttentionLayer::forward(const ForwardArgs& args, ForwardResult& result, LayerRecord& record) const {
  const Tensor& xq = *args.inputs[0];                               // [B, T, Dq]
  const Tensor& xv = *args.inputs[1];                               // [B, S, Dv]
  const Tensor& xk = has_key_ ? *args.inputs[2] : xv;               // [B, S, Dk]
  AttentionRecord a;
  a.path = explicit_path() ? AttentionRecord::Path::explicit_softmax : AttentionRecord::Path::fused;
  a.mask_constant = explicit_path() ? kLargeNegative : kFusedMaskConstant;
  a.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(H_)));  // _inverse_sqrt_key_dim (l.201)
  a.batch = B_, a.heads = N_, a.query_steps = T_, a.key_steps = S_;
  a.query_mask = args.input_masks[0];
  a.value_mask = args.input_masks[1];
  if (has_key_) a.key_mask = args.input_masks[2];
  a.causal = causal_;
  a.explicit_mask = attention_mask_;
  a.clears_input_masks = true;
  combine_masks(a, true);
  // Detail::full shows each projection with its operand (the key projects the value when no key is given).
  auto shown = [&](const char* symbol, const char* input, const char* kernel, const char* bias) -> AttentionProjection* {
    if (args.detail != Detail::full) return nullptr;
    a.projections.push_back({symbol, input, kernel, use_bias_ ? bias : "", {}, {}, {}});
    return &a.projections.back();
  };
  a.projections.reserve(3);
  const Tensor Q = project(xq, "query_kernel", "query_bias", H_, shown("Q", "query", "query_kernel", "query_bias"));  // [B, T, N, H]
  const Tensor K = project(xk, "key_kernel", "key_bias", H_,
                           shown("K", has_key_ ? "key" : "value", "key_kernel", "key_bias"));                        // [B, S, N, H]
  const Tensor V = project(xv, "value_kernel", "value_bias", Hv_, shown("V", "value", "value_kernel", "value_bias"));  // [B, S, N, Hv]
  attend(a, Q, K, V, args.detail != Detail::outputs);
  // (8): O [B·T, N·Hv] · Wo [N·Hv, E] + bo.
  result.output = Tensor(output_shape_);
  MatMap y = as_matrix(result.output);
  y.noalias() = ConstMatMap(a.context.data(), static_cast<Eigen::Index>(B_ * T_), static_cast<Eigen::Index>(N_ * Hv_)) *
                ConstMatMap(weight("output_kernel").data(), static_cast<Eigen::Index>(N_ * Hv_), static_cast<Eigen::Index>(E_));
  if (use_bias_) y.rowwise() += ConstMatMap(weight("output_bias").data(), 1, static_cast<Eigen::Index>(E_)).row(0);
  add_notes(a, record);
  record.payload = std::move(a);
}

void MultiHeadAttentionLayer::add_notes(const AttentionRecord& a, LayerRecord& record) const {
  if (dropout_ > 0)
    record.notes.push_back("dropout > 0 selects Keras' explicit softmax path even at inference, where dropout itself "
                           "does nothing (multi_head_attention.py l.521-525)");
  if (!a.fully_masked_rows.empty())
    record.notes.push_back(a.path == AttentionRecord::Path::fused
                               ? "a fully masked row has every logit equal to the same constant, so its weights are "
                                 "uniform 1/S over all keys, padding included; the output there is the mean of the "
                                 "projected values, then the output projection"
                               : "a fully masked row's weights are set to 0 after the softmax, so the output there is "
                                 "exactly the output bias");
  if (a.query_mask || a.value_mask || a.key_mask)
    record.notes.push_back("the output mask is the query's; MultiHeadAttention then sets the masks of the tensors it "
                           "was called on to None (multi_head_attention.py l.628-631): a layer that reads them later "
                           "sees no mask");
}

}  // namespace

std::unique_ptr<Layer> make_multi_head_attention(LayerSite& site) {
  return std::make_unique<MultiHeadAttentionLayer>(site);
}

}  // namespace maskviz
