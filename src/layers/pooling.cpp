// Global pooling over time, x: [B, T, F] -> y: [B, F].
//
// GlobalAveragePooling1D (keras/src/layers/pooling/global_average_pooling1d.py) consumes the mask:
//   (1) y[b] = Σ_t where(m[b,t], x[b,t], 0) / Σ_t m[b,t]     with a mask (no epsilon: 0/0 is NaN)
//   (2) y[b] = Σ_t x[b,t] / T                                 without
// GlobalMaxPooling1D (global_max_pooling1d.py) does not support masking: Keras 3 warns, drops the mask
// and takes the max over every step, padding included, so a padded row can win.
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "layers/backward.h"
#include "layers/layer.h"
#include "scenario/json_fields.h"

namespace maskviz {

namespace {

class GlobalPooling1D : public Layer {
 public:
  GlobalPooling1D(const char* type, LayerSite& site) : Layer(type, site.name, site.input_shape) {
    if (input_shape_.size() != 3) reject_input(site, "a sequence [batch, time, features]");
    output_shape_ = {input_shape_[0], input_shape_[2]};
  }
  Json config() const override { return Json::object(); }
  std::size_t record_floats(Detail detail) const override {
    return Layer::record_floats(detail) + (detail == Detail::outputs ? 0 : element_count(output_shape_) * 3);
  }
};

class GlobalAveragePooling1D final : public GlobalPooling1D {
 public:
  explicit GlobalAveragePooling1D(LayerSite& site) : GlobalPooling1D("GlobalAveragePooling1D", site) {}
  bool supports_masking() const override { return true; }
  MaskAction mask_action(bool arrives, RunMode) const override {
    return arrives ? MaskAction::consumed : MaskAction::none;
  }
  MaskUse mask_use() const override { return {"", "the mean is over the valid steps only", "", ""}; }
  bool has_backward() const override { return true; }
  void backward(const BackwardArgs& args, BackwardResult& result) const override {
    global_average_pooling_backward(args, result);
  }
  void forward(const ForwardArgs& args, ForwardResult& result, LayerRecord& record) const override {
    const std::size_t B = input_shape_[0], T = input_shape_[1], F = input_shape_[2];
    result.output = Tensor(output_shape_);  // [B, F]
    Reductions& reductions = record.payload.emplace<Reductions>(Reductions{Reductions::Kind::average, {}});
    std::size_t fully_masked = 0;
    for (std::size_t b = 0; b < B; ++b) {
      ReductionRecord reduction;
      reduction.batch = b;
      reduction.counted.assign(T, 1);
      reduction.sum = Tensor({F});
      for (std::size_t t = 0; t < T; ++t) {
        const bool keep = !args.mask || args.mask->at(b, t);
        reduction.counted[t] = keep ? 1 : 0;
        if (!keep) continue;
        reduction.divisor += 1.0f;
        const float* x = args.input.row(b * T + t);
        for (std::size_t f = 0; f < F; ++f) reduction.sum.values[f] += x[f];
      }
      float* y = result.output.row(b);
      for (std::size_t f = 0; f < F; ++f) y[f] = reduction.sum.values[f] / reduction.divisor;  // (1), (2)
      if (reduction.divisor == 0.0f) {
        reduction.non_finite = true;
        ++fully_masked;
      }
      if (args.detail != Detail::outputs) reductions.reductions.push_back(std::move(reduction));
    }
    if (args.mask)
      record.notes.push_back("average pooling uses the mask: the mean is over the valid steps only "
                             "(sum of kept rows / number of kept rows), and no mask leaves this layer.");
    if (fully_masked > 0)
      record.warnings.push_back(fmt::format("{} sequence{} fully masked: 0/0 gives NaN, as in Keras "
                                            "(no epsilon in global_average_pooling1d.py)",
                                            fully_masked, fully_masked == 1 ? " is" : "s are"));
  }
};

class GlobalMaxPooling1D final : public GlobalPooling1D {
 public:
  explicit GlobalMaxPooling1D(LayerSite& site) : GlobalPooling1D("GlobalMaxPooling1D", site) {}
  bool supports_masking() const override { return false; }
  bool has_backward() const override { return true; }
  void backward(const BackwardArgs& args, BackwardResult& result) const override {
    global_max_pooling_backward(args, result);
  }
  void forward(const ForwardArgs& args, ForwardResult& result, LayerRecord& record) const override {
    const std::size_t B = input_shape_[0], T = input_shape_[1], F = input_shape_[2];
    // The mask is not applied (Keras drops it); the record still marks which winners were padding.
    const OptMask& shown_mask = record.input_mask;
    result.output = Tensor(output_shape_);  // [B, F]
    Reductions& reductions = record.payload.emplace<Reductions>(Reductions{Reductions::Kind::max, {}});
    std::size_t padding_wins = 0;
    for (std::size_t b = 0; b < B; ++b) {
      ReductionRecord reduction;
      reduction.batch = b;
      reduction.counted.assign(T, 1);
      reduction.argmax.assign(F, 0);
      reduction.argmax_masked.assign(F, 0);
      float* y = result.output.row(b);
      for (std::size_t f = 0; f < F; ++f) {
        float best = -std::numeric_limits<float>::infinity();
        for (std::size_t t = 0; t < T; ++t) {
          const float v = args.input.row(b * T + t)[f];
          if (v > best || t == 0) {
            best = v;
            reduction.argmax[f] = t;
          }
        }
        y[f] = best;
        const bool padded_winner = shown_mask && !shown_mask->at(b, reduction.argmax[f]);
        reduction.argmax_masked[f] = padded_winner ? 1 : 0;
        padding_wins += padded_winner ? 1 : 0;
      }
      if (args.detail != Detail::outputs) reductions.reductions.push_back(std::move(reduction));
    }
    if (padding_wins > 0)
      record.notes.push_back(fmt::format("the max is over every step, padding included: {} output value{} "
                                         "came from a padded step.", padding_wins, padding_wins == 1 ? "" : "s"));
  }
};

}  // namespace

std::unique_ptr<Layer> make_global_average_pooling1d(LayerSite& site) {
  return std::make_unique<GlobalAveragePooling1D>(site);
}
std::unique_ptr<Layer> make_global_max_pooling1d(LayerSite& site) {
  return std::make_unique<GlobalMaxPooling1D>(site);
}

}  // namespace maskviz
