// The LSTM cell of Keras 3 (keras/src/layers/rnn/lstm.py, LSTMCell.call, implementation 2).
// Gate blocks in the order i, f, c, o; σ = recurrent_activation (sigmoid), φ = activation (tanh).
//   (1) z = (x_t · kernel + h_{t-1} · recurrent_kernel) + bias        z: [B, 4H]
//   (2) i = σ(z_i)   f = σ(z_f)   c~ = φ(z_c)   o = σ(z_o)
//   (3) c_t = f ⊙ c_{t-1} + i ⊙ c~
//   (4) h_t = o ⊙ φ(c_t)                                            output = h_t; states [h, c]
// Default bias: zeros with the forget block at one (unit_forget_bias, after Jozefowicz et al. 2015).
#include "layers/rnn.h"

namespace maskviz {

namespace {

class LstmCell final : public RnnCell {
 public:
  using RnnCell::RnnCell;
  std::size_t gate_count() const override { return 4; }
  std::vector<std::string> state_names() const override { return {"h", "c"}; }
  std::vector<std::string> gate_names() const override { return {"i", "f", "c~", "o"}; }
  Initializer bias_initializer() const override {
    return config_.unit_forget_bias ? Initializer::lstm_bias(config_.units) : Initializer::zeros();
  }

  void step(const ConstStridedRows& x_proj, const std::vector<Mat>& states, const CellWeights& w,
            StepScratch& s) const override {
    const auto H = static_cast<Eigen::Index>(config_.units);
    const Mat& h_prev = states[0];  // [B, H]
    const Mat& c_prev = states[1];  // [B, H]
    s.recurrent.noalias() = h_prev * w.recurrent_kernel;  // [B, 4H]
    s.pre = x_proj + s.recurrent;                           // (1)
    if (w.bias != nullptr) s.pre.rowwise() += ConstMatMap(w.bias->data(), 1, 4 * H).row(0);
    s.gates = s.pre;                                        // (2)
    activate_block(config_.recurrent_activation, s.gates, 0, 2 * H);
    activate_block(config_.activation, s.gates, 2 * H, H);
    activate_block(config_.recurrent_activation, s.gates, 3 * H, H);
    s.new_states.resize(2);
    s.new_states[1] = s.gates.middleCols(H, H).cwiseProduct(c_prev) +
                      s.gates.leftCols(H).cwiseProduct(s.gates.middleCols(2 * H, H));  // (3)
    Mat phi_c = s.new_states[1];
    activate_block(config_.activation, phi_c, 0, H);
    s.new_states[0] = s.gates.rightCols(H).cwiseProduct(phi_c);  // (4)
    s.output = s.new_states[0];
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
