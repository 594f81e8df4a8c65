// Softmax(axis=-1) as a layer (keras/src/layers/activations/softmax.py, v3.15.1, l.55-107):
//   without a mask: y = softmax(x) over the last axis
//   with a mask m (aligned with x from the right, numpy broadcasting, l.57-72):
//     (1) x' = where(m, x, -1e9)      (2) y = softmax(x')      (3) y = where(m, y, 0)
// A [B, T] mask on a [B, T] input masks time steps. On a [B, T, D] input it lines up with the last two
// axes (T, D): Keras raises ValueError unless those broadcast, and then it masks features, not steps.
// The mask is handed on unchanged.
#include <fmt/format.h>

#include <cmath>

#include "core/errors.h"
#include "layers/attention_core.h"
#include "layers/backward.h"
#include "layers/layer.h"
#include "scenario/json_fields.h"

namespace maskviz {

namespace {

class SoftmaxLayer final : public Layer {
 public:
  explicit SoftmaxLayer(LayerSite& site) : Layer("Softmax", site.name, site.input_shape) {
    const long long axis = site.fields.integer("axis", -1, -1, 8);
    if (axis != -1 && axis != static_cast<long long>(input_shape_.size()) - 1)
      throw ScenarioError(site.fields.pointer_of("axis"), "maskviz applies Softmax over the last axis only; expected "
                                                          "axis -1");
    if (input_shape_.size() < 2 || site.input_is_tokens) reject_input(site, "float values [batch, ..., features]");
    output_shape_ = input_shape_;
  }
  bool supports_masking() const override { return true; }
  MaskAction mask_action(bool arrives, RunMode) const override {
    return arrives ? MaskAction::consumed_passed_on : MaskAction::none;
  }
  MaskUse mask_use() const override { return {"", "masked entries get -1e9, then 0 after the softmax", "", ""}; }
  Json config() const override { return {{"axis", -1}}; }
  // Why Keras refuses a [B, T] mask on this input, or empty when it broadcasts.
  std::string refuses_mask() const override {
    if (input_shape_.size() == 2) return "";
    const std::size_t B = input_shape_[0], T = input_shape_[1], D = input_shape_.back();
    const bool ok = input_shape_.size() == 3 && (T == D || T == 1 || D == 1) && (B == T || B == 1 || T == 1);
    if (ok) return "";
    return fmt::format("Softmax lines the [batch, time] mask up with its input {} from the right (softmax.py "
                       "l.57-72), and [{}, {}] does not broadcast against it: Keras raises ValueError here; expected "
                       "no mask reaching Softmax, or a [batch, time] input", shape_text(input_shape_), B, T);
  }
  void forward(const ForwardArgs& args, ForwardResult& result, LayerRecord&) const override {
    const std::size_t F = args.input.row_length(), rows = args.input.size() / F;
    result.output = Tensor(output_shape_);
    const Mask* m = args.mask ? &*args.mask : nullptr;
    for (std::size_t r = 0; r < rows; ++r) {
      const float* x = args.input.row(r);  // [F]
      float* y = result.output.row(r);     // [F]
      auto keep = [&](std::size_t f) { return m == nullptr || keeps(*m, r, f); };
      float max = -INFINITY, sum = 0;
      for (std::size_t f = 0; f < F; ++f) max = std::max(max, y[f] = keep(f) ? x[f] : kLargeNegative);  // (1)
      for (std::size_t f = 0; f < F; ++f) sum += (y[f] = std::exp(y[f] - max));                          // (2)
      for (std::size_t f = 0; f < F; ++f) y[f] = keep(f) ? y[f] / sum : 0.0f;                            // (3)
    }
  }
  bool has_backward() const override { return true; }
  void backward(const BackwardArgs& args, BackwardResult& result) const override {
    std::vector<std::uint8_t> keep;  // [rows, F]
    if (args.mask) {
      const std::size_t F = args.input.row_length(), rows = args.input.size() / F;
      keep.resize(rows * F);
      for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t f = 0; f < F; ++f) keep[r * F + f] = keeps(*args.mask, r, f);
    }
    softmax_backward(args, keep, result);
  }

 private:
  // Whether the mask keeps entry f of row r of the input.
  bool keeps(const Mask& m, std::size_t r, std::size_t f) const {
    if (input_shape_.size() == 2) return m.at(r, f);  // [B, T]: row r is sequence r
    const std::size_t t = r % input_shape_[1];         // [B, T, D]: the mask's axes are (T, D)
    return m.at(m.batch == 1 ? 0 : t, m.time == 1 ? 0 : f);
  }
};

}  // namespace

std::unique_ptr<Layer> make_softmax(LayerSite& site) { return std::make_unique<SoftmaxLayer>(site); }

}  // namespace maskviz
