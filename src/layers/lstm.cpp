// The LSTM cell of Keras 3 (keras/src/layers/rnn/lstm.py, LSTMCell.call, implementation 2).
// Gate blocks in the order i, f, c, o; σ = recurrent_activation (sigmoid), φ = activation (tanh).
//   (1) z = (x_t · kernel + h_{t-1} · recurrent_kernel) + bias        z: [B, 4H]
//   (2) i = σ(z_i)   f = σ(z_f)   c~ = φ(z_c)   o = σ(z_o)
//   (3) c_t = f ⊙ c_{t-1} + i ⊙ c~
//   (4) h_t = o ⊙ φ(c_t)                                            output = h_t; states [h, c]
// Default bias: zeros with the forget block at one (unit_forget_bias, after Jozefowicz et al. 2015).
#include <fmt/format.h>

#include "layers/rnn.h"

namespace maskviz {

namespace {

class LstmCell final : public RnnCell {
 public:
  using RnnCell::RnnCell;
  std::size_t gate_count() const override { return 4; }
  std::vector<std::string> state_names() const override { return {"h", "c"}; }
  std::vector<std::string> gate_names() const override { return {"i", "f", "c~", "o"}; }
  Equations equations() const override {
    const char* act = activation_symbol(config_.activation);
    const char* rec = activation_symbol(config_.recurrent_activation);
    const char* plus_b = config_.use_bias ? " + b" : "";
    Equations eq;
    eq.additive = true;
    eq.lines = {fmt::format("z = x_t · W + h_{{t-1}} · U{}      gate blocks i, f, c~, o", plus_b),
                fmt::format("i = {0}(z_i)   f = {0}(z_f)   c~ = {1}(z_c~)   o = {0}(z_o)", rec, act),
                "c = f ⊙ c_{t-1} + i ⊙ c~", fmt::format("h = o ⊙ {}(c)      output = h", act)};
    eq.states = {{"c", "f ⊙ c_{t-1} + i ⊙ c~"}, {"h", fmt::format("o ⊙ {}(c)", act)}};
    return eq;
  }
  Initializer bias_initializer() const override {
    return config_.unit_forget_bias ? Initializer::lstm_bias(config_.units) : Initializer::zeros();
  }

  void step(const ConstStridedRows& x_proj, const std::vector<Mat>& states, const CellWeights& w,
            StepScratch& s) const override {
    const auto H = static_cast<Eigen::Index>(config_.units);
    const Mat& h_prev = states[0];  // [B, H]
    const Mat& c_prev = states[1];  // [B, H]
    s.recurrent.noalias() = h_prev * w.recurrent_kernel;  // [B, 4H]
    // Row by row, so one sample's 4H gate values stay in L1 from (1) to (4).
    for (Eigen::Index b = 0; b < h_prev.rows(); ++b) {
      float* g = s.gates.row(b).data();  // [4H]: z, then i, f, c~, o in place
      ArrayMap z(g, 4 * H);
      z = ConstArrayMap(x_proj.row(b).data(), 4 * H) + ConstArrayMap(s.recurrent.row(b).data(), 4 * H);  // (1)
      if (w.bias != nullptr) z += ConstArrayMap(w.bias->data(), 4 * H);
      if (s.keep_pre) std::copy_n(g, 4 * H, s.pre.row(b).data());
      activate_gates(config_.recurrent_activation, g, H, 2);          // (2) i, f
      activate_gate(config_.activation, g + 2 * H, H);                //     c~
      activate_gate(config_.recurrent_activation, g + 3 * H, H);      //     o
      const ConstArrayMap i(g, H), f(g + H, H), c_tilde(g + 2 * H, H), o(g + 3 * H, H);
      ArrayMap c(s.new_states[1].row(b).data(), H);
      c = f * ConstArrayMap(c_prev.row(b).data(), H) + i * c_tilde;  // (3)
      ArrayMap h(s.new_states[0].row(b).data(), H);
      h = c;
      activate_gate(config_.activation, h.data(), H);  // φ(c_t), computed in h's own buffer
      h *= o;                                           // (4)
    }
  }

  void record(Eigen::Index b, const ConstStridedRows& x_proj, const std::vector<Mat>& states, const CellWeights& w,
              const StepScratch& s, StepRecord& r) const override {
    const auto H = static_cast<Eigen::Index>(config_.units);
    r.products.push_back({"x_t", r.input, "kernel", "", row_tensor(x_proj.row(b).data(), 4 * config_.units)});
    r.products.push_back({"h_{t-1}", row_block(states[0], b, 0, H), "recurrent_kernel", "",
                          row_block(s.recurrent, b, 0, 4 * H)});
    if (w.bias != nullptr) r.biases.push_back({"bias", *w.bias});
    const auto names = gate_names();
    for (Eigen::Index g = 0; g < 4; ++g) {
      r.pre_activations.push_back({"z_" + names[static_cast<std::size_t>(g)], row_block(s.pre, b, g * H, H)});
      r.gates.push_back({names[static_cast<std::size_t>(g)], row_block(s.gates, b, g * H, H)});
    }
  }
};

}  // namespace

std::unique_ptr<RnnCell> make_lstm_cell(const RnnConfig& config) { return std::make_unique<LstmCell>(config); }

}  // namespace maskviz
