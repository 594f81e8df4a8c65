// The LSTM cell of Keras 3 (keras/src/layers/rnn/lstm.py, LSTMCell.call, implementation 2).
// Gate blocks in the order i, f, c, o; σ = recurrent_activation (sigmoid), φ = activation (tanh).
//   (1) z = (x_t · kernel + h_{t-1} · recurrent_kernel) + bias        z: [B, 4H]
//   (2) i = σ(z_i)   f = σ(z_f)   c~ = φ(z_c)   o = σ(z_o)
//   (3) c_t = f ⊙ c_{t-1} + i ⊙ c~
//   (4) h_t = o ⊙ φ(c_t)                                            output = h_t; states [h, c]
// Default bias: zeros with the forget block at one (unit_forget_bias, after Jozefowicz et al. 2015).
//
// Backward of one step, given dh = ∂loss/∂h_t and dc = ∂loss/∂c_t (from later steps and the output):
//   (4') do = dh ⊙ φ(c_t)            dc += φ'(c_t) ⊙ (dh ⊙ o)
//   (3') di = dc ⊙ c~   dc~ = dc ⊙ i   df = dc ⊙ c_{t-1}   dc_prev = dc ⊙ f
//   (2') dz = [σ'(z_i) di, σ'(z_f) df, φ'(z_c) dc~, σ'(z_o) do]
//   (1') dkernel += x_tᵀ dz   drecurrent_kernel += h_{t-1}ᵀ dz   dbias += dz   dh_prev = dz · recurrent_kernelᵀ
#include <fmt/format.h>

#include "layers/activations_backward.h"
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

  void step_backward(const std::vector<Mat>& d_new, const std::vector<Mat>& prev, const StepScratch& s,
                     const CellWeights& w, StepGrad& g) const override {
    const auto H = static_cast<Eigen::Index>(config_.units);
    const auto n = static_cast<std::size_t>(H);
    const Eigen::Index B = prev[0].rows();
    g.dz_x.resize(B, 4 * H);
    Eigen::ArrayXf phi_c(H), d_phi(H), dc(H), gate_grad(4 * H);
    for (Eigen::Index b = 0; b < B; ++b) {
      const float* gt = s.gates.row(b).data();  // i, f, c~, o
      const float* pre = s.pre.row(b).data();
      const ConstArrayMap i(gt, H), f(gt + H, H), c_tilde(gt + 2 * H, H), o(gt + 3 * H, H);
      const ConstArrayMap c(s.new_states[1].row(b).data(), H), c_prev(prev[1].row(b).data(), H);
      const ConstArrayMap dh(d_new[0].row(b).data(), H);
      phi_c = c;
      activate_gate(config_.activation, phi_c.data(), H);
      d_phi = dh * o;  // (4')
      activation_backward(config_.activation, c.data(), phi_c.data(), d_phi.data(), dc.data(), 1, n);
      dc += ConstArrayMap(d_new[1].row(b).data(), H);
      gate_grad.segment(0, H) = dc * c_tilde;  // (3') di
      gate_grad.segment(H, H) = dc * c_prev;   //      df
      gate_grad.segment(2 * H, H) = dc * i;    //      dc~
      gate_grad.segment(3 * H, H) = dh * phi_c;  // (4') do
      ArrayMap(g.d_prev[1].row(b).data(), H) = dc * f;
      float* dz = g.dz_x.row(b).data();  // (2')
      activation_backward(config_.recurrent_activation, pre, gt, gate_grad.data(), dz, 2, n);
      activation_backward(config_.activation, pre + 2 * H, gt + 2 * H, gate_grad.data() + 2 * H, dz + 2 * H, 1, n);
      activation_backward(config_.recurrent_activation, pre + 3 * H, gt + 3 * H, gate_grad.data() + 3 * H,
                          dz + 3 * H, 1, n);
    }
    g.rec_is_x = true;  // z = x·W + h·U + b: one dz for both products
    g.d_prev[0].noalias() = g.dz_x * w.recurrent_kernel.transpose();  // (1')
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
