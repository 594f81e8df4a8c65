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
//
// Backward of one step, given dh = ∂loss/∂h_t (a_* are the pre-activations of z, r, h~):
//   (4') dh~ = dh ⊙ (1 - z)   dz = dh ⊙ (h_{t-1} - h~)   dh_prev = dh ⊙ z
//        da_h = φ'(a_h) ⊙ dh~
// reset_after:
//   (3)  dr = da_h ⊙ (h_h + b_h[h])     d(x part) = [da_z, da_r, da_h]   d(h part) = [da_z, da_r, da_h ⊙ r]
// reset_after=false:
//   (3') d(r ⊙ h_{t-1}) = da_h · recurrent_kernel[:, 2u:]ᵀ;  dr = that ⊙ h_{t-1};  dh_prev += that ⊙ r
//        d(x part) = d(h part) = [da_z, da_r, da_h], the last block's left operand being r ⊙ h_{t-1}
// Both: da_z = σ'(a_z) ⊙ dz   da_r = σ'(a_r) ⊙ dr
//   (1', 2') dkernel += x_tᵀ d(x part)   drecurrent_kernel += h_{t-1}ᵀ d(h part)   dbias: Σ d(x part),
//        and Σ d(h part) in the recurrent row with reset_after;  dh_prev += d(h part) · recurrent_kernelᵀ
#include <fmt/format.h>

#include "layers/activations_backward.h"
#include "layers/rnn.h"

namespace maskviz {

namespace {

class GruCell final : public RnnCell {
 public:
  using RnnCell::RnnCell;
  std::size_t gate_count() const override { return 3; }
  std::vector<std::string> state_names() const override { return {"h"}; }
  std::vector<std::string> gate_names() const override { return {"z", "r", "h~"}; }
  Equations equations() const override {
    const char* act = activation_symbol(config_.activation);
    const char* rec = activation_symbol(config_.recurrent_activation);
    const bool bias = config_.use_bias;
    const std::string h_state = "z ⊙ h_{t-1} + (1 - z) ⊙ h~";
    Equations eq;
    if (config_.reset_after) {
      eq.lines = {fmt::format("[x_z, x_r, x_h] = x_t · W{}", bias ? " + b_x      (b_x = bias[0])" : ""),
                  fmt::format("[h_z, h_r, h_h] = h_{{t-1}} · U{}", bias ? " + b_h      (b_h = bias[1])" : ""),
                  fmt::format("z = {0}(x_z + h_z)   r = {0}(x_r + h_r)   h~ = {1}(x_h + r ⊙ h_h)", rec, act),
                  fmt::format("h = {}      output = h", h_state)};
    } else {
      eq.lines = {fmt::format("[x_z, x_r, x_h] = x_t · W{}", bias ? " + b" : ""), "[h_z, h_r] = h_{t-1} · U[:, :2u]",
                  fmt::format("z = {0}(x_z + h_z)   r = {0}(x_r + h_r)   h~ = {1}(x_h + (r ⊙ h_{{t-1}}) · U[:, 2u:])",
                              rec, act),
                  fmt::format("h = {}      output = h", h_state)};
    }
    eq.states = {{"h", h_state}};
    return eq;
  }
  std::vector<std::string> bias_row_labels() const override {
    if (config_.reset_after && config_.use_bias) return {"b_x", "b_h"};
    return {};
  }
  Shape bias_shape() const override {
    return config_.reset_after ? Shape{2, 3 * config_.units} : Shape{3 * config_.units};
  }
  void prepare(Eigen::Index B, StepScratch& s) const override {
    RnnCell::prepare(B, s);
    if (!config_.reset_after) {
      s.recurrent.resize(B, 2 * static_cast<Eigen::Index>(config_.units));
      s.reset_input.resize(B, static_cast<Eigen::Index>(config_.units));
      s.reset_product.resize(B, static_cast<Eigen::Index>(config_.units));
    }
  }

  void step(const ConstStridedRows& x_proj, const std::vector<Mat>& states, const CellWeights& w,
            StepScratch& s) const override {
    const auto H = static_cast<Eigen::Index>(config_.units);
    const Mat& h_prev = states[0];  // [B, H]
    const float* b_x = w.bias != nullptr ? w.bias->data() : nullptr;                                // [3H]
    const float* b_h = w.bias != nullptr && config_.reset_after ? w.bias->data() + 3 * H : nullptr;  // [3H]
    if (config_.reset_after)
      s.recurrent.noalias() = h_prev * w.recurrent_kernel;  // (2) without b_h: [B, 3H]
    else
      s.recurrent.noalias() = h_prev * w.recurrent_kernel.leftCols(2 * H);  // (2') [B, 2H]

    // z and r for every row: they need only the two products.
    for (Eigen::Index b = 0; b < h_prev.rows(); ++b) {
      float* g = s.gates.row(b).data();  // [3H]: z, r, then h~
      ArrayMap x_zr(g, 2 * H), x_h(g + 2 * H, H);
      x_zr = ConstArrayMap(x_proj.row(b).data(), 2 * H);
      x_h = ConstArrayMap(x_proj.row(b).data() + 2 * H, H);
      if (b_x != nullptr) {  // (1), (1'): matrix_x = x_t · kernel + input bias
        x_zr += ConstArrayMap(b_x, 2 * H);
        x_h += ConstArrayMap(b_x + 2 * H, H);
      }
      const ConstArrayMap h_zr(s.recurrent.row(b).data(), 2 * H);  // matrix_inner, z and r blocks
      if (b_h != nullptr)
        x_zr += h_zr + ConstArrayMap(b_h, 2 * H);
      else
        x_zr += h_zr;
      if (s.keep_pre) std::copy_n(g, 2 * H, s.pre.row(b).data());
      activate_gates(config_.recurrent_activation, g, H, 2);  // z, r
    }
    if (!config_.reset_after) {  // (3') the reset gate scales h_{t-1} before its product
      for (Eigen::Index b = 0; b < h_prev.rows(); ++b)
        ArrayMap(s.reset_input.row(b).data(), H) =
            ConstArrayMap(s.gates.row(b).data() + H, H) * ConstArrayMap(h_prev.row(b).data(), H);
      s.reset_product.noalias() = s.reset_input * w.recurrent_kernel.rightCols(H);  // [B, H]
    }
    for (Eigen::Index b = 0; b < h_prev.rows(); ++b) {
      float* g = s.gates.row(b).data();
      const ConstArrayMap z(g, H), r(g + H, H);
      ArrayMap hh(g + 2 * H, H);  // holds x_h
      if (config_.reset_after) {  // (3) hh = φ(x_h + r ⊙ (h_{t-1}·U_h + b_h))
        const float* rec_h = s.recurrent.row(b).data() + 2 * H;
        if (b_h != nullptr)
          hh += r * (ConstArrayMap(rec_h, H) + ConstArrayMap(b_h + 2 * H, H));
        else
          hh += r * ConstArrayMap(rec_h, H);
      } else {
        hh += ConstArrayMap(s.reset_product.row(b).data(), H);
      }
      if (s.keep_pre) std::copy_n(hh.data(), H, s.pre.row(b).data() + 2 * H);
      activate_gate(config_.activation, hh.data(), H);
      const ConstArrayMap h_tm1(h_prev.row(b).data(), H);
      ArrayMap(s.new_states[0].row(b).data(), H) = z * h_tm1 + (1.0f - z) * hh;  // (4)
    }
  }

  void step_backward(const std::vector<Mat>& d_new, const std::vector<Mat>& prev, const StepScratch& s,
                     const CellWeights& w, StepGrad& g) const override {
    const auto H = static_cast<Eigen::Index>(config_.units);
    const auto n = static_cast<std::size_t>(H);
    const Eigen::Index B = prev[0].rows();
    const Mat& h_prev = prev[0];  // [B, H]
    g.dz_x.resize(B, 3 * H);
    g.dz_rec.resize(B, 3 * H);
    Mat& dh_prev = g.d_prev[0];  // [B, H]
    Eigen::ArrayXf d_gate(H);
    for (Eigen::Index b = 0; b < B; ++b) {  // (4') and da_h
      const float* gt = s.gates.row(b).data();
      const ConstArrayMap z(gt, H), hh(gt + 2 * H, H), h_tm1(h_prev.row(b).data(), H);
      const ConstArrayMap dh(d_new[0].row(b).data(), H);
      d_gate = dh * (1.0f - z);
      float* dx = g.dz_x.row(b).data();
      activation_backward(config_.activation, s.pre.row(b).data() + 2 * H, gt + 2 * H, d_gate.data(), dx + 2 * H, 1, n);
      ArrayMap(dx, H) = dh * h_tm1 - dh * hh;  // dz, before σ'
      ArrayMap(dh_prev.row(b).data(), H) = dh * z;
    }
    Mat d_reset_input;  // [B, H] reset_after=false: ∂loss/∂(r ⊙ h_{t-1})
    if (!config_.reset_after)
      d_reset_input.noalias() = g.dz_x.rightCols(H) * w.recurrent_kernel.rightCols(H).transpose();
    const float* b_h = w.bias != nullptr && config_.reset_after ? w.bias->data() + 3 * H : nullptr;
    for (Eigen::Index b = 0; b < B; ++b) {
      const float* gt = s.gates.row(b).data();
      const ConstArrayMap r(gt + H, H);
      float* dx = g.dz_x.row(b).data();
      const ConstArrayMap da_h(dx + 2 * H, H);
      if (config_.reset_after) {  // (3)
        ArrayMap rec_h(g.dz_rec.row(b).data() + H, H);  // scratch for h_h + b_h
        rec_h = ConstArrayMap(s.recurrent.row(b).data() + 2 * H, H);
        if (b_h != nullptr) rec_h += ConstArrayMap(b_h + 2 * H, H);
        ArrayMap(dx + H, H) = da_h * rec_h;
      } else {  // (3')
        const ConstArrayMap d_rh(d_reset_input.row(b).data(), H);
        ArrayMap(dx + H, H) = d_rh * ConstArrayMap(h_prev.row(b).data(), H);
        ArrayMap(dh_prev.row(b).data(), H) += d_rh * r;
      }
      activation_backward(config_.recurrent_activation, s.pre.row(b).data(), gt, dx, dx, 2, n);  // da_z, da_r
      ArrayMap(g.dz_rec.row(b).data(), 2 * H) = ConstArrayMap(dx, 2 * H);
      ArrayMap(g.dz_rec.row(b).data() + 2 * H, H) = config_.reset_after ? (da_h * r).eval() : da_h.eval();
    }
    if (config_.reset_after)
      dh_prev.noalias() += g.dz_rec * w.recurrent_kernel.transpose();
    else
      dh_prev.noalias() += g.dz_rec.leftCols(2 * H) * w.recurrent_kernel.leftCols(2 * H).transpose();
  }
  const Mat* last_block_lhs(const StepScratch& s) const override { return config_.reset_after ? nullptr : &s.reset_input; }

  void record(Eigen::Index b, const ConstStridedRows& x_proj, const std::vector<Mat>& states, const CellWeights& w,
              const StepScratch& s, StepRecord& r) const override {
    const auto H = static_cast<Eigen::Index>(config_.units);
    r.products.push_back({"x_t", r.input, "kernel", "", row_tensor(x_proj.row(b).data(), 3 * config_.units)});
    if (config_.reset_after) {
      // (2) and (3) as rows that each add up in their columns: z and r take h_{t-1}·U and b_h as they are;
      // h~ takes them only through the reset product r ⊙ h_h, recorded as a term of its own.
      r.products.push_back({"h_{t-1}", row_block(states[0], b, 0, H), "recurrent_kernel", "[:, :2u]",
                            row_block(s.recurrent, b, 0, 2 * H)});
      const float* b_h = w.bias != nullptr ? w.bias->data() + 3 * H : nullptr;  // [3H]
      GatedTerm reset{"r", "h_h", b_h != nullptr ? "h_{t-1} · U[:, 2u:] + b_h[2u:]" : "h_{t-1} · U[:, 2u:]",
                      row_block(s.recurrent, b, 2 * H, H), Tensor(Shape{config_.units}), 2 * config_.units};
      if (b_h != nullptr) ArrayMap(reset.operand.data(), H) += ConstArrayMap(b_h + 2 * H, H);
      ArrayMap(reset.result.data(), H) = ConstArrayMap(s.gates.row(b).data() + H, H) * ConstArrayMap(reset.operand.data(), H);
      r.gated_terms.push_back(std::move(reset));
      if (b_h != nullptr) {
        r.biases.push_back({"input_bias", row_tensor(w.bias->data(), 3 * config_.units)});
        r.biases.push_back({"recurrent_bias", row_tensor(b_h, 2 * config_.units)});  // z and r parts: [2H]
      }
    } else {
      r.products.push_back({"h_{t-1}", row_block(states[0], b, 0, H), "recurrent_kernel", "[:, :2u]",
                            row_block(s.recurrent, b, 0, 2 * H)});
      r.products.push_back({"r ⊙ h_{t-1}", row_block(s.reset_input, b, 0, H), "recurrent_kernel", "[:, 2u:]",
                            row_block(s.reset_product, b, 0, H), 2 * config_.units});
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
