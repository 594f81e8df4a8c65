// Masking(mask_value): a step is masked only when *all* its features equal mask_value; masked steps'
// values become 0 (keras/src/layers/core/masking.py: compute_mask is any(x != mask_value) over the
// features, call is where(mask, x, 0) since Keras 3.15.0). One differing feature keeps the whole step.
#include <cmath>

#include <fmt/format.h>

#include "layers/backward.h"
#include "layers/layer.h"
#include "scenario/json_fields.h"

namespace maskviz {

namespace {

class MaskingLayer final : public Layer {
 public:
  explicit MaskingLayer(LayerSite& site) : Layer("Masking", site.name, site.input_shape) {
    mask_value_ = static_cast<float>(site.fields.number("mask_value", 0.0));
    if (input_shape_.size() != 3) reject_input(site, "a sequence [batch, time, features]");
    output_shape_ = input_shape_;
  }
  bool supports_masking() const override { return true; }
  MaskAction mask_action(bool, RunMode mode) const override {
    return mode == RunMode::masked ? MaskAction::created : MaskAction::switched_off;
  }
  MaskUse mask_use() const override {
    const std::string value = mask_value_text();
    return {fmt::format("a step is masked where every feature is {}", value), "",
            fmt::format("sets the masked steps to 0 (they held {})", value), ""};
  }
  Json config() const override { return {{"mask_value", mask_value_}}; }

  void forward(const ForwardArgs& args, ForwardResult& result, LayerRecord& record) const override {
    const std::size_t B = input_shape_[0], T = input_shape_[1], F = input_shape_[2];
    result.output = args.input;  // [B, T, F]
    if (args.mode == RunMode::unmasked) {
      record.notes.push_back("unmasked run: Masking passes the values through unchanged and makes no mask.");
      return;
    }
    result.mask = Mask(B, T);
    bool partial_step_seen = false;
    for (std::size_t b = 0; b < B; ++b) {
      for (std::size_t t = 0; t < T; ++t) {
        const float* x = args.input.row(b * T + t);
        std::size_t equal = 0;
        for (std::size_t f = 0; f < F; ++f) equal += x[f] == mask_value_ ? 1 : 0;
        const bool keep = equal != F;
        partial_step_seen |= keep && equal > 0;
        result.mask->set(b, t, keep);
        if (!keep) std::fill_n(result.output.row(b * T + t), F, 0.0f);
      }
    }
    record.notes.push_back("a step is masked only when every feature equals mask_value; masked steps become 0.");
    if (partial_step_seen)
      record.notes.push_back("some kept steps have features equal to mask_value: one differing feature is enough "
                             "to keep the whole step, and those features stay as they are.");
  }

  bool has_backward() const override { return true; }

  void backward(const BackwardArgs& args, BackwardResult& result) const override {
    masking_backward(args, mask_value_, result);
  }

 private:
  // mask_value as the config shows it: a whole number without decimals.
  std::string mask_value_text() const {
    if (std::isfinite(mask_value_) && mask_value_ == std::nearbyint(mask_value_) && std::fabs(mask_value_) < 1e15f)
      return fmt::format("{}", static_cast<long long>(mask_value_));
    return fmt::format("{:.4f}", mask_value_);
  }

  float mask_value_ = 0;
};

}  // namespace

std::unique_ptr<Layer> make_masking(LayerSite& site) { return std::make_unique<MaskingLayer>(site); }

}  // namespace maskviz
