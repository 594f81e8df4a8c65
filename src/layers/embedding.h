#pragma once

#include "layers/layer.h"

namespace maskviz {

class EmbeddingLayer final : public Layer {
 public:
  explicit EmbeddingLayer(LayerSite& site);
  bool supports_masking() const override { return mask_zero_; }
  MaskAction mask_action(bool arrives, RunMode mode) const override;
  MaskUse mask_use() const override { return {"a step is masked where its token is 0", "", "", "mask_zero"}; }
  Json config() const override;
  std::vector<WeightSpec> weight_specs() const override;
  std::size_t record_floats(Detail detail) const override;
  void forward(const ForwardArgs& args, ForwardResult& result, LayerRecord& record) const override;
  bool has_backward() const override { return true; }
  void backward(const BackwardArgs& args, BackwardResult& result) const override;
  std::size_t step_gradient_floats() const override { return element_count(output_shape_); }  // one row a lookup
  std::size_t input_dim() const { return input_dim_; }

 private:
  std::size_t input_dim_ = 0, output_dim_ = 0;
  bool mask_zero_ = false;
};

}  // namespace maskviz
