// The SimpleRNN cell of Keras 3 (keras/src/layers/rnn/simple_rnn.py, SimpleRNNCell.call):
//   (1) z = (x_t · kernel + bias) + h_{t-1} · recurrent_kernel      the bias comes before the recurrent term
//   (2) h_t = φ(z)                                                  output = h_t; states [h]
// Backward of one step, given dh = ∂loss/∂h_t:
//   (2') dz = φ'(z) ⊙ dh
//   (1') dkernel += x_tᵀ dz   drecurrent_kernel += h_{t-1}ᵀ dz   dbias += dz   dh_prev = dz · recurrent_kernelᵀ
#include <fmt/format.h>

#include "layers/activations_backward.h"
#include "layers/rnn.h"

namespace maskviz {

namespace {

class SimpleRnnCell final : public RnnCell {
 public:
  using RnnCell::RnnCell;
  std::size_t gate_count() const override { return 1; }
  std::vector<std::string> state_names() const override { return {"h"}; }
  std::vector<std::string> gate_names() const override { return {"h~"}; }
  Equations equations() const override {
    Equations eq;
    eq.additive = true;
    eq.lines = {fmt::format("z = x_t · W + h_{{t-1}} · U{}", config_.use_bias ? " + b" : ""),
                fmt::format("h = h~ = {}(z)      output = h", activation_symbol(config_.activation))};
    eq.states = {{"h", "h~"}};
    return eq;
  }

  void step(const ConstStridedRows& x_proj, const std::vector<Mat>& states, const CellWeights& w,
            StepScratch& s) const override {
    const auto H = static_cast<Eigen::Index>(config_.units);
    s.recurrent.noalias() = states[0] * w.recurrent_kernel;  // [B, H]
    for (Eigen::Index b = 0; b < s.recurrent.rows(); ++b) {
      float* z = s.gates.row(b).data();  // [H]: z, then h~ in place
      ArrayMap zm(z, H);
      zm = ConstArrayMap(x_proj.row(b).data(), H);
      if (w.bias != nullptr) zm += ConstArrayMap(w.bias->data(), H);
      zm += ConstArrayMap(s.recurrent.row(b).data(), H);  // (1)
      if (s.keep_pre) std::copy_n(z, H, s.pre.row(b).data());
      activate_gate(config_.activation, z, H);  // (2)
      std::copy_n(z, H, s.new_states[0].row(b).data());
    }
  }

  void step_backward(const std::vector<Mat>& d_new, const std::vector<Mat>& prev, const StepScratch& s,
                     const CellWeights& w, StepGrad& g) const override {
    g.dz_x.resize(prev[0].rows(), static_cast<Eigen::Index>(config_.units));
    activation_backward(config_.activation, s.pre.data(), s.gates.data(), d_new[0].data(), g.dz_x.data(),
                        static_cast<std::size_t>(prev[0].rows()), config_.units);  // (2')
    g.rec_is_x = true;  // z = x·W + b + h·U: one dz for both products
    g.d_prev[0].noalias() = g.dz_x * w.recurrent_kernel.transpose();  // (1')
  }

  void record(Eigen::Index b, const ConstStridedRows& x_proj, const std::vector<Mat>& states, const CellWeights& w,
              const StepScratch& s, StepRecord& r) const override {
    const auto H = static_cast<Eigen::Index>(config_.units);
    r.products.push_back({"x_t", r.input, "kernel", "", row_tensor(x_proj.row(b).data(), config_.units)});
    r.products.push_back({"h_{t-1}", row_block(states[0], b, 0, H), "recurrent_kernel", "",
                          row_block(s.recurrent, b, 0, H)});
    if (w.bias != nullptr) r.biases.push_back({"bias", *w.bias});
    r.pre_activations.push_back({"z", row_block(s.pre, b, 0, H)});
    r.gates.push_back({"h~", row_block(s.gates, b, 0, H)});
  }
};

}  // namespace

std::unique_ptr<RnnCell> make_simple_rnn_cell(const RnnConfig& config) {
  return std::make_unique<SimpleRnnCell>(config);
}

}  // namespace maskviz
