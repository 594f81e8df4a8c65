// Attention(use_scale, score_mode) (keras/src/layers/attention/attention.py, v3.15.1), called on
// [query, value(, key)]: query [B, T, D], value [B, S, D], key [B, S, D] (the value when not given).
//   (1) dot:    L[b,t,s] = scale · Σ_d q[b,t,d]·k[b,s,d]        (no 1/√d; scale = 1 without use_scale)
//       concat: L[b,t,s] = w_c · Σ_d tanh(scale · (q[b,t,d] + k[b,s,d]))   (_calculate_scores l.110-141)
//   (2) M[b,t,s] = value_mask[b,s] ∧ causal[t,s]                 (_calculate_score_mask; the query mask
//                                                                 is not part of it, the key mask unused)
//   (3) L' = where(M, L, L - 1e9)                                 (subtracted, not replaced, l.173-180)
//   (4) P = softmax_s(L');   O[b,t,:] = Σ_s P[b,t,s]·v[b,s,:]
//   (5) O[b,t,:] = where(query_mask[b,t], O[b,t,:], 0)            (l.235-238)
// The output mask is the query mask (compute_mask, l.244-248). Unlike MultiHeadAttention it leaves the
// masks of its inputs alone.
#include <fmt/format.h>

#include <cmath>

#include "core/errors.h"
#include "layers/attention_core.h"
#include "layers/backward.h"
#include "layers/layer.h"
#include "scenario/json_fields.h"

namespace maskviz {

namespace {

class AttentionLayer final : public Layer {
 public:
  explicit AttentionLayer(LayerSite& site) : Layer("Attention", site.name, site.input_shape) {
    auto& f = site.fields;
    for (const auto& shape : site.input_shapes)
      if (shape.size() != 3)
        throw ScenarioError(f.pointer_of("inputs"), fmt::format("Attention reads [batch, steps, features] tensors; got "
                                                                "{}", shape_text(shape)));
    const Shape& q = site.input_shapes[0];
    const Shape& v = site.input_shapes[1];
    has_key_ = site.input_shapes.size() > 2;
    const Shape& k = has_key_ ? site.input_shapes[2] : v;
    if (v[0] != q[0] || k[0] != q[0] || k[1] != v[1] || q[2] != k[2])
      throw ScenarioError(f.pointer_of("inputs"), fmt::format("query {}, value {}, key {} do not fit: expected one batch "
                                                              "size, as many key steps as value steps and the same "
                                                              "features in query and key", shape_text(q),
                                                              shape_text(v), shape_text(k)));
    use_scale_ = f.boolean("use_scale", false);
    concat_ = f.choice("score_mode", "dot", {"dot", "concat"}) == "concat";
    dropout_ = f.number("dropout", 0.0);
    if (dropout_ < 0 || dropout_ >= 1)
      throw ScenarioError(f.pointer_of("dropout"), "dropout is out of range; expected a number in [0, 1)");
    causal_ = f.boolean("use_causal_mask", false);
    output_shape_ = {q[0], q[1], v[2]};
  }
  bool supports_masking() const override { return true; }
  MaskAction mask_action(bool arrives, RunMode) const override {
    return arrives ? MaskAction::consumed_passed_on : MaskAction::none;
  }
  MaskUse mask_use() const override {
    return {"", "masked keys lose 1e9 from their scores; masked query rows are set to 0; the output takes the "
                "query's mask", "", ""};
  }
  Json config() const override {
    return {{"use_scale", use_scale_}, {"score_mode", concat_ ? "concat" : "dot"}, {"dropout", dropout_},
            {"use_causal_mask", causal_}};
  }
  std::vector<WeightSpec> weight_specs() const override {
    std::vector<WeightSpec> specs;  // build(): scale, then concat_score_weight, both scalars initialised to 1
    if (use_scale_) specs.push_back({"scale", {}, Initializer{Initializer::Kind::ones}});
    if (concat_) specs.push_back({"concat_score_weight", {}, Initializer{Initializer::Kind::ones}});
    return specs;
  }
  std::size_t record_floats(Detail detail) const override {
    return Layer::record_floats(detail) + 2 * output_shape_[0] * output_shape_[1] * input_shape_[1] * 4;
  }
  void forward(const ForwardArgs& args, ForwardResult& result, LayerRecord& record) const override;
  bool has_backward() const override { return true; }
  void backward(const BackwardArgs& args, BackwardResult& result) const override {  // attention_backward.cpp
    attention_backward(args, {use_scale_, concat_, causal_, has_key_, use_scale_ ? &weight("scale") : nullptr,
                              concat_ ? &weight("concat_score_weight") : nullptr}, result);
  }

 private:
  void score(AttentionRecord& a, const Tensor& q, const Tensor& k) const;
  bool use_scale_ = false, concat_ = false, causal_ = false, has_key_ = false;
  double dropout_ = 0;
};

// (1): scores [B, 1, T, S].
void AttentionLayer::score(AttentionRecord& a, const Tensor& q, const Tensor& k) const {
  const std::size_t T = a.query_steps, S = a.key_steps, D = q.dim(2);
  const float scale = use_scale_ ? weight("scale").values[0] : 1.0f;
  const float w_c = concat_ ? weight("concat_score_weight").values[0] : 1.0f;
  a.scale = scale;
  a.scores = Tensor({a.batch, 1, T, S});
  for (std::size_t b = 0; b < a.batch; ++b)
    for (std::size_t t = 0; t < T; ++t)
      for (std::size_t s = 0; s < S; ++s) {
        const float* qt = q.data() + (b * T + t) * D;  // [D]
        const float* ks = k.data() + (b * S + s) * D;  // [D]
        float sum = 0;
        if (concat_) {
          for (std::size_t d = 0; d < D; ++d) sum += std::tanh(use_scale_ ? scale * (qt[d] + ks[d]) : qt[d] + ks[d]);
          sum *= w_c;
        } else {
          for (std::size_t d = 0; d < D; ++d) sum += qt[d] * ks[d];
          if (use_scale_) sum *= scale;
        }
        a.scores.values[(b * T + t) * S + s] = sum;
      }
}

void AttentionLayer::forward(const ForwardArgs& args, ForwardResult& result, LayerRecord& record) const {
  const Tensor& q = *args.inputs[0];                     // [B, T, D]
  const Tensor& v = *args.inputs[1];                     // [B, S, Dv]
  const Tensor& k = has_key_ ? *args.inputs[2] : v;      // [B, S, D]
  AttentionRecord a;
  a.path = AttentionRecord::Path::subtractive;
  a.mask_constant = kLargeNegative;
  a.batch = q.dim(0), a.heads = 1, a.query_steps = q.dim(1), a.key_steps = v.dim(1);
  a.query_mask = args.input_masks[0];
  a.value_mask = args.input_masks[1];
  a.causal = causal_;
  a.query_rows_zeroed = a.query_mask.has_value();
  combine_masks(a, false);  // the key mask is never used, the query mask not part of the score mask
  score(a, q, k);
  masked_softmax(a);
  const std::size_t T = a.query_steps, S = a.key_steps, Dv = v.dim(2);
  result.output = Tensor(output_shape_);
  for (std::size_t b = 0; b < a.batch; ++b)
    for (std::size_t t = 0; t < T; ++t) {
      float* o = result.output.data() + (b * T + t) * Dv;  // [Dv]
      if (a.query_mask && !a.query_mask->at(b, t)) continue;  // (5): stays 0
      for (std::size_t s = 0; s < S; ++s) {
        const float p = a.weights.values[(b * T + t) * S + s];
        const float* vs = v.data() + (b * S + s) * Dv;
        for (std::size_t d = 0; d < Dv; ++d) o[d] += p * vs[d];
      }
    }
  if (a.query_mask)
    record.notes.push_back("Attention sets its output to 0 at every masked query step (attention.py l.235-238); "
                           "its output mask is the query mask");
  record.payload = std::move(a);
}

}  // namespace

std::unique_ptr<Layer> make_attention(LayerSite& site) { return std::make_unique<AttentionLayer>(site); }

}  // namespace maskviz
