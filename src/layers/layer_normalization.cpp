// LayerNormalization(epsilon=1e-3, center, scale) over the last axis
// (keras/src/layers/normalization/layer_normalization.py; ops/nn.py _layer_normalization l.3185-3195):
//   (1) μ = mean_d x[d],  σ² = mean_d (x[d] - μ)²      (biased variance, ops.moments)
//   (2) inv = rsqrt(σ² + ε) · γ
//   (3) y = x · inv + (β - μ · inv)
// Supports masking and never reads the mask (l.150): padded rows are normalized like any other row and
// the mask is handed on unchanged.
#include <fmt/format.h>

#include <cmath>

#include "core/errors.h"
#include "layers/backward.h"
#include "layers/layer.h"
#include "scenario/json_fields.h"

namespace maskviz {

namespace {

class LayerNormalizationLayer final : public Layer {
 public:
  explicit LayerNormalizationLayer(LayerSite& site) : Layer("LayerNormalization", site.name, site.input_shape) {
    auto& f = site.fields;
    if (input_shape_.size() < 2 || site.input_is_tokens) reject_input(site, "float features [batch, ..., features]");
    epsilon_ = f.number("epsilon", 1e-3);
    if (!(epsilon_ > 0)) throw ScenarioError(f.pointer_of("epsilon"), "epsilon must be a positive number");
    center_ = f.boolean("center", true);
    scale_ = f.boolean("scale", true);
    output_shape_ = input_shape_;
  }
  bool supports_masking() const override { return true; }
  Json config() const override {
    return {{"axis", -1}, {"epsilon", epsilon_}, {"center", center_}, {"scale", scale_}};
  }
  std::vector<WeightSpec> weight_specs() const override {
    std::vector<WeightSpec> specs;  // build(): gamma (scale), then beta (center)
    if (scale_) specs.push_back({"gamma", {input_shape_.back()}, Initializer{Initializer::Kind::ones}});
    if (center_) specs.push_back({"beta", {input_shape_.back()}, Initializer::zeros()});
    return specs;
  }
  void forward(const ForwardArgs& args, ForwardResult& result, LayerRecord&) const override {
    const std::size_t D = args.input.row_length(), rows = args.input.size() / D;
    const float eps = static_cast<float>(epsilon_);
    result.output = Tensor(output_shape_);
    for (std::size_t r = 0; r < rows; ++r) {
      const float* x = args.input.row(r);  // [D]
      float* y = result.output.row(r);     // [D]
      float mean = 0, var = 0;
      for (std::size_t d = 0; d < D; ++d) mean += x[d];
      mean /= static_cast<float>(D);
      for (std::size_t d = 0; d < D; ++d) var += (x[d] - mean) * (x[d] - mean);
      var /= static_cast<float>(D);
      const float rsqrt = 1.0f / std::sqrt(var + eps);
      for (std::size_t d = 0; d < D; ++d) {
        const float inv = rsqrt * (scale_ ? weight("gamma").values[d] : 1.0f);
        y[d] = x[d] * inv + ((center_ ? weight("beta").values[d] : 0.0f) - mean * inv);
      }
    }
  }
  bool has_backward() const override { return true; }
  void backward(const BackwardArgs& args, BackwardResult& result) const override {
    layer_normalization_backward(args, scale_ ? &weight("gamma") : nullptr, center_ ? &weight("beta") : nullptr,
                                 static_cast<float>(epsilon_), result);
  }

 private:
  double epsilon_ = 1e-3;
  bool center_ = true, scale_ = true;
};

}  // namespace

std::unique_ptr<Layer> make_layer_normalization(LayerSite& site) {
  return std::make_unique<LayerNormalizationLayer>(site);
}

}  // namespace maskviz
