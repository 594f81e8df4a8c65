// The backward pass of the sequence walker (rnn.cpp), through time with the carry-over. The forward
// walk, restated as its derivatives (TensorFlow's gradient of where: the selected branch receives the
// gradient, the other exactly 0; keras/src/backend/tensorflow/rnn.py):
//
//   forward, step k (t = T-1-k with go_backwards):
//     out_k    = where(m_t, h~_k, 0 if zero_output_for_mask else out_{k-1})
//     states_k = where(m_t, new_states_k, states_{k-1})
//   backward, k = T-1 … 0, with G_s = ∂loss/∂states_k and G_o = ∂loss/∂out_k (the loss's own share at k
//   plus what out_{k+1} handed back at a masked step k+1):
//     d new_states_k = where(m_t, G_s (+ G_o for h), 0)       the cell gets nothing at a masked step
//     ∂loss/∂states_{k-1} = where(m_t, 0, G_s) + cell_backward(d new_states_k).d_prev
//     ∂loss/∂out_{k-1}    = where(m_t, 0, G_o), or 0 with zero_output_for_mask
//   The cell backward still runs at a masked step, on zeros: its contribution x_tᵀ·0, h_{t-1}ᵀ·0, 0 is
//   exactly ±0, unless a forward value there is inf or NaN, where 0·inf = NaN leaks as in TensorFlow.
//   dkernel = Σ_k x_tᵀ dz_x,k   drecurrent_kernel = Σ_k h_{k-1}ᵀ dz_rec,k   dbias = Σ_k dz_x,k (+ dz_rec,k)
//   dx_t = dz_x,k · kernelᵀ
// The input products are one GEMM over all steps, forwards and backwards, as in the forward pass.
#include <algorithm>

#include "layers/rnn.h"

namespace maskviz {

namespace {

// What the forward walk computed at every step, kept for the backward walk.
struct Tape {
  std::vector<std::vector<Mat>> prev;  // [T][S] each [B, H]: the states before step k
  std::vector<StepScratch> steps;      // [T]: gates, pre-activations, products, candidate states
};

struct Dims {
  std::size_t B, T, D, H, G, S;
  std::size_t time_of(std::size_t k, bool backwards) const { return backwards ? T - 1 - k : k; }
};

// x_t in processing order: row k·B + b. [T·B, D]
Mat gather_inputs(const Tensor& x, const Dims& d, bool backwards) {
  Mat xk(static_cast<Eigen::Index>(d.T * d.B), static_cast<Eigen::Index>(d.D));
  for (std::size_t k = 0; k < d.T; ++k)
    for (std::size_t b = 0; b < d.B; ++b)
      std::copy_n(x.row(b * d.T + d.time_of(k, backwards)), d.D, xk.row(static_cast<Eigen::Index>(k * d.B + b)).data());
  return xk;
}

}  // namespace

void RnnLayer::backward(const BackwardArgs& args, BackwardResult& result) const {
  const RnnConfig& c = config_;
  const Dims d{input_shape_[0], input_shape_[1], input_shape_[2], c.units, cell_->gate_count(),
               cell_->state_names().size()};
  const auto Bi = static_cast<Eigen::Index>(d.B), H = static_cast<Eigen::Index>(d.H);
  const auto GH = static_cast<Eigen::Index>(d.G * d.H);
  const CellWeights w{as_matrix(weight("kernel")), as_matrix(weight("recurrent_kernel")),
                      c.use_bias ? &weight("bias") : nullptr};
  const OptMask& mask = args.mask;
  auto keep = [&](std::size_t b, std::size_t t) { return !mask || mask->at(b, t); };

  // Forward again, keeping every step (the walk of rnn.cpp, with its where-carry-over).
  const Mat xk = gather_inputs(args.input, d, c.go_backwards);  // [T·B, D]
  const Mat x_proj = xk * w.kernel;                              // [T·B, G·H]
  Tape tape;
  tape.prev.reserve(d.T);
  tape.steps.resize(d.T);
  std::vector<Mat> states(d.S, Mat::Zero(Bi, H));
  for (std::size_t k = 0; k < d.T; ++k) {
    const std::size_t t = d.time_of(k, c.go_backwards);
    const ConstStridedRows xp(x_proj.data() + static_cast<Eigen::Index>(k) * Bi * GH, Bi, GH, Eigen::OuterStride<>(GH));
    StepScratch& s = tape.steps[k];
    s.keep_pre = true;
    cell_->prepare(Bi, s);
    cell_->step(xp, states, w, s);
    tape.prev.push_back(states);
    for (std::size_t sidx = 0; sidx < d.S; ++sidx)
      for (std::size_t b = 0; b < d.B; ++b)
        if (keep(b, t)) states[sidx].row(static_cast<Eigen::Index>(b)) = s.new_states[sidx].row(static_cast<Eigen::Index>(b));
  }

  // Backward through time.
  std::vector<Mat> g_state(d.S, Mat::Zero(Bi, H));  // ∂loss/∂states_k
  Mat g_out_carry = Mat::Zero(Bi, H);                // ∂loss/∂out_k handed back by a masked step k+1
  std::vector<Mat> d_new(d.S, Mat(Bi, H));
  Mat dz_x(static_cast<Eigen::Index>(d.T) * Bi, GH), dz_rec(static_cast<Eigen::Index>(d.T) * Bi, GH);  // [T·B, G·H]
  std::vector<std::vector<Mat>> carried(args.record_steps ? d.T : 0);  // ∂loss/∂states_k, for the record
  StepGrad g;
  g.d_prev.assign(d.S, Mat(Bi, H));
  for (std::size_t kk = d.T; kk-- > 0;) {
    const std::size_t t = d.time_of(kk, c.go_backwards);
    if (args.record_steps) carried[kk] = g_state;
    for (std::size_t b = 0; b < d.B; ++b) {
      const auto bi = static_cast<Eigen::Index>(b);
      // ∂loss/∂out_k: the loss's share plus what a masked step k+1 handed back.
      Eigen::RowVectorXf g_out = g_out_carry.row(bi);
      if (c.return_sequences)
        g_out += ConstMatMap(args.d_output.row(b * d.T + kk), 1, H);
      else if (kk == d.T - 1)
        g_out += ConstMatMap(args.d_output.row(b), 1, H);
      if (keep(b, t)) {
        d_new[0].row(bi) = g_out + g_state[0].row(bi);
        for (std::size_t s = 1; s < d.S; ++s) d_new[s].row(bi) = g_state[s].row(bi);
        for (std::size_t s = 0; s < d.S; ++s) g_state[s].row(bi).setZero();  // where(m, 0, G_s)
        g_out_carry.row(bi).setZero();
      } else {
        for (std::size_t s = 0; s < d.S; ++s) d_new[s].row(bi).setZero();  // g_state passes through
        if (c.zero_output_for_mask)
          g_out_carry.row(bi).setZero();
        else
          g_out_carry.row(bi) = g_out;
      }
    }
    cell_->step_backward(d_new, tape.prev[kk], tape.steps[kk], w, g);
    for (std::size_t s = 0; s < d.S; ++s) g_state[s] += g.d_prev[s];
    dz_x.middleRows(static_cast<Eigen::Index>(kk) * Bi, Bi) = g.dz_x;
    dz_rec.middleRows(static_cast<Eigen::Index>(kk) * Bi, Bi) = g.dz_rec;
  }

  // Weight gradients: one GEMM each over every step.
  Mat h_prev(static_cast<Eigen::Index>(d.T) * Bi, H);  // [T·B, H]
  for (std::size_t k = 0; k < d.T; ++k) h_prev.middleRows(static_cast<Eigen::Index>(k) * Bi, Bi) = tape.prev[k][0];
  const Mat* lhs_last = cell_->last_block_lhs(tape.steps[0]);
  Tensor dkernel({d.D, d.G * d.H}), drec({d.H, d.G * d.H});
  as_matrix(dkernel).noalias() = xk.transpose() * dz_x;
  if (lhs_last == nullptr) {
    as_matrix(drec).noalias() = h_prev.transpose() * dz_rec;
  } else {  // GRU reset_after=false: the last block multiplies r ⊙ h_{t-1}
    Mat rh(static_cast<Eigen::Index>(d.T) * Bi, H);
    for (std::size_t k = 0; k < d.T; ++k)
      rh.middleRows(static_cast<Eigen::Index>(k) * Bi, Bi) = *cell_->last_block_lhs(tape.steps[k]);
    as_matrix(drec).leftCols(GH - H).noalias() = h_prev.transpose() * dz_rec.leftCols(GH - H);
    as_matrix(drec).rightCols(H).noalias() = rh.transpose() * dz_rec.rightCols(H);
  }
  result.grad.weights.push_back({"kernel", std::move(dkernel)});
  result.grad.weights.push_back({"recurrent_kernel", std::move(drec)});
  if (c.use_bias) {
    Tensor dbias(cell_->bias_shape());
    MatMap db(dbias.data(), dbias.size() / static_cast<std::size_t>(GH), GH);
    db.row(0) = dz_x.colwise().sum();
    if (db.rows() == 2) db.row(1) = dz_rec.colwise().sum();
    result.grad.weights.push_back({"bias", std::move(dbias)});
  }

  // ∂loss/∂x, back into input time order.
  const Mat dxk = dz_x * w.kernel.transpose();  // [T·B, D]
  result.d_input = Tensor(input_shape_);
  for (std::size_t k = 0; k < d.T; ++k)
    for (std::size_t b = 0; b < d.B; ++b)
      std::copy_n(dxk.row(static_cast<Eigen::Index>(k * d.B + b)).data(), d.D,
                  result.d_input.row(b * d.T + d.time_of(k, c.go_backwards)));

  if (!args.record_steps) return;
  const auto names = cell_->state_names();
  for (std::size_t b = 0; b < d.B; ++b) {
    for (std::size_t k = 0; k < d.T; ++k) {
      const auto row = static_cast<Eigen::Index>(k * d.B + b);
      const std::size_t t = d.time_of(k, c.go_backwards);
      StepGradient step{b, t, k, !keep(b, t), {}, {}};
      Tensor ck({d.D, d.G * d.H}), cr({d.H, d.G * d.H});
      as_matrix(ck).noalias() = xk.row(row).transpose() * dz_x.row(row);
      if (lhs_last == nullptr) {
        as_matrix(cr).noalias() = h_prev.row(row).transpose() * dz_rec.row(row);
      } else {
        const Mat& rh = *cell_->last_block_lhs(tape.steps[k]);
        as_matrix(cr).leftCols(GH - H).noalias() = h_prev.row(row).transpose() * dz_rec.row(row).leftCols(GH - H);
        as_matrix(cr).rightCols(H).noalias() = rh.row(static_cast<Eigen::Index>(b)).transpose() * dz_rec.row(row).rightCols(H);
      }
      step.contributions.push_back({"kernel", std::move(ck)});
      step.contributions.push_back({"recurrent_kernel", std::move(cr)});
      if (c.use_bias) {
        Tensor cb(cell_->bias_shape());
        std::copy_n(dz_x.row(row).data(), GH, cb.data());
        if (cb.size() == 2 * static_cast<std::size_t>(GH)) std::copy_n(dz_rec.row(row).data(), GH, cb.data() + GH);
        step.contributions.push_back({"bias", std::move(cb)});
      }
      for (std::size_t s = 0; s < d.S; ++s)
        step.carried.push_back({names[s], row_block(carried[k][s], static_cast<Eigen::Index>(b), 0, H)});
      result.grad.steps.push_back(std::move(step));
    }
  }
}

}  // namespace maskviz
