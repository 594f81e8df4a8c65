// The GRU cell of Keras 3 (keras/src/layers/rnn/gru.py, GRUCell.call, implementation 2).
// Gate blocks in the order z, r, h; σ = recurrent_activation (sigmoid), φ = activation (tanh).
// reset_after=true (the default; bias [2, 3H]: row 0 input bias b_x, row 1 recurrent bias b_h):
//   (1) [x_z, x_r, x_h] = x_t · kernel + b_x
//   (2) [h_z, h_r, h_h] = h_{t-1} · recurrent_kernel + b_h
//   (3) z = σ(x_z + h_z)   r = σ(x_r + h_r)   h~ = φ(x_h + r ⊙ h_h)
// reset_after=false (bias [3H], added to the input part only):
//   (1') [x_z, x_r, x_h] = x_t · kernel + bias
//   (2') [h_z, h_r] = h_{t-1} · recurrent_kernel[:, :2H]
//   (3') z = σ(x_z + h_z)   r = σ(x_r + h_r)   h~ = φ(x_h + (r ⊙ h_{t-1}) · recurrent_kernel[:, 2H:])
// Both:
//   (4) h_t = z ⊙ h_{t-1} + (1 - z) ⊙ h~                           output = h_t; states [h]
#include "layers/rnn.h"

namespace maskviz {

namespace {

class GruCell final : public RnnCell {
 public:
  using RnnCell::RnnCell;
  std::size_t gate_count() const override { return 3; }
  std::vector<std::string> state_names() const override { return {"h"}; }
  std::vector<std::string> gate_names() const override { return {"z", "r", "h~"}; }
  Shape bias_shape() const override {
    return config_.reset_after ? Shape{2, 3 * config_.units} : Shape{3 * config_.units};
  }

  void step(const ConstStridedRows& x_proj, const std::vector<Mat>& states, const CellWeights& w,
            StepScratch& s) const override {
    const auto H = static_cast<Eigen::Index>(config_.units);
    const Mat& h_prev = states[0];  // [B, H]
    // s.pre holds the input part [x_z, x_r, x_h] first.
    s.pre = x_proj;
    if (w.bias != nullptr) s.pre.rowwise() += ConstMatMap(w.bias->data(), 1, 3 * H).row(0);  // (1), (1')
    if (config_.reset_after) {
      s.recurrent.noalias() = h_prev * w.recurrent_kernel;  // (2)
      if (w.bias != nullptr) s.recurrent.rowwise() += ConstMatMap(w.bias->data() + 3 * H, 1, 3 * H).row(0);
    } else {
      s.recurrent.noalias() = h_prev * w.recurrent_kernel.leftCols(2 * H);  // (2')
    }
    s.gates.resize(s.pre.rows(), 3 * H);
    s.gates.leftCols(2 * H) = s.pre.leftCols(2 * H) + s.recurrent.leftCols(2 * H);
    activate_block(config_.recurrent_activation, s.gates, 0, 2 * H);  // z, r
    const auto r = s.gates.middleCols(H, H);
    if (config_.reset_after) {
      s.gates.rightCols(H) = s.pre.rightCols(H) + r.cwiseProduct(s.recurrent.rightCols(H));  // (3)
    } else {
      s.reset_product.noalias() = r.cwiseProduct(h_prev) * w.recurrent_kernel.rightCols(H);
      s.gates.rightCols(H) = s.pre.rightCols(H) + s.reset_product;  // (3')
    }
    // Keep what enters each gate's activation in s.pre for the record, then activate h~.
    s.pre.leftCols(2 * H) = s.pre.leftCols(2 * H) + s.recurrent.leftCols(2 * H);
    s.pre.rightCols(H) = s.gates.rightCols(H);
    activate_block(config_.activation, s.gates, 2 * H, H);
    const auto z = s.gates.leftCols(H);
    s.new_states.resize(1);
    s.new_states[0] = z.cwiseProduct(h_prev) + (1.0f - z.array()).matrix().cwiseProduct(s.gates.rightCols(H));  // (4)
    s.output = s.new_states[0];
  }

  void record(Eigen::Index b, const ConstStridedRows& x_proj, const std::vector<Mat>& states, const CellWeights& w,
              const StepScratch& s, StepRecord& r) const override {
    const auto H = static_cast<Eigen::Index>(config_.units);
    r.products.push_back({"x_t", r.input, "kernel", "", row_tensor(x_proj.row(b).data(), 3 * config_.units)});
    if (config_.reset_after) {
      r.products.push_back({"h_{t-1}", row_block(states[0], b, 0, H), "recurrent_kernel", "",
                            row_block(s.recurrent, b, 0, 3 * H)});
      if (w.bias != nullptr) {
        r.biases.push_back({"input_bias", row_tensor(w.bias->data(), 3 * config_.units)});
        r.biases.push_back({"recurrent_bias", row_tensor(w.bias->data() + 3 * H, 3 * config_.units)});
        // The recorded product above already includes recurrent_bias, as Keras adds it right there.
      }
    } else {
      r.products.push_back({"h_{t-1}", row_block(states[0], b, 0, H), "recurrent_kernel", "[:, :2u]",
                            row_block(s.recurrent, b, 0, 2 * H)});
      Tensor r_h = row_block(s.gates, b, H, H);
      for (Eigen::Index i = 0; i < H; ++i) r_h.values[static_cast<std::size_t>(i)] *= states[0](b, i);
      r.products.push_back({"r ⊙ h_{t-1}", r_h, "recurrent_kernel", "[:, 2u:]", row_block(s.reset_product, b, 0, H)});
      if (w.bias != nullptr) r.biases.push_back({"bias", *w.bias});
    }
    const auto names = gate_names();
    for (Eigen::Index g = 0; g < 3; ++g) {
      r.pre_activations.push_back({"z_" + names[static_cast<std::size_t>(g)], row_block(s.pre, b, g * H, H)});
      r.gates.push_back({names[static_cast<std::size_t>(g)], row_block(s.gates, b, g * H, H)});
    }
  }
};

}  // namespace

std::unique_ptr<RnnCell> make_gru_cell(const RnnConfig& config) { return std::make_unique<GruCell>(config); }

}  // namespace maskviz
