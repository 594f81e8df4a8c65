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
// The input products are one GEMM over all steps, forwards and backwards, as in the forward pass, and the
// weight gradients one GEMM each over every step.
#include <algorithm>

#include "layers/rnn.h"

namespace maskviz {

namespace {

struct Dims {
  std::size_t B, T, D, H, G, S;
  std::size_t time_of(std::size_t k, bool backwards) const { return backwards ? T - 1 - k : k; }
  Eigen::Index rows() const { return static_cast<Eigen::Index>(T * B); }  // T·B: every (step, sequence)
};

// Everything the backward walk keeps, reused from call to call: at B=32, T=128, H=128 it is some 40 MB,
// and touching that much fresh memory (page faults) costs more than the arithmetic that fills it.
struct Workspace {
  Mat xk;                              // [T·B, D]    x_t in processing order, row k·B + b
  Mat x_proj;                          // [T·B, G·H]  x_t · kernel
  std::vector<std::vector<Mat>> prev;  // [T][S]      [B, H] each: the states before step k
  std::vector<StepScratch> steps;      // [T]         gates, pre-activations, products, candidate states
  Mat h_prev;                          // [T·B, H]    h_{k-1} stacked, the left operand of drecurrent_kernel
  Mat dz_x, dz_rec;                    // [T·B, G·H]  what each step's cell backward returned
  bool rec_is_x = false;               // dz_rec is dz_x (LSTM, SimpleRNN) and was not copied
  const Mat& rec() const { return rec_is_x ? dz_x : dz_rec; }
  std::vector<std::vector<Mat>> carried;  // [T][S]   ∂loss/∂states_k, only when the steps are recorded
};

Workspace& workspace() {
  static thread_local Workspace w;
  return w;
}

void gather_inputs(const Tensor& x, const Dims& d, bool backwards, Mat& xk) {  // x: [B, T, D]
  xk.resize(d.rows(), static_cast<Eigen::Index>(d.D));
  for (std::size_t k = 0; k < d.T; ++k)
    for (std::size_t b = 0; b < d.B; ++b)
      std::copy_n(x.row(b * d.T + d.time_of(k, backwards)), d.D, xk.row(static_cast<Eigen::Index>(k * d.B + b)).data());
}

}  // namespace

// The forward walk of rnn.cpp once more, keeping every step in the workspace.
void RnnLayer::tape_forward(const Tensor& x, const OptMask& mask, const CellWeights& w) const {
  Workspace& ws = workspace();
  const Dims d{input_shape_[0], input_shape_[1], input_shape_[2], config_.units, cell_->gate_count(),
               cell_->state_names().size()};
  const auto Bi = static_cast<Eigen::Index>(d.B), H = static_cast<Eigen::Index>(d.H);
  const auto GH = static_cast<Eigen::Index>(d.G * d.H);
  gather_inputs(x, d, config_.go_backwards, ws.xk);
  ws.x_proj.resize(d.rows(), GH);
  ws.x_proj.noalias() = ws.xk * w.kernel;
  ws.prev.resize(d.T);
  ws.steps.resize(d.T);
  ws.h_prev.resize(d.rows(), H);
  std::vector<Mat> states(d.S, Mat::Zero(Bi, H));  // [B, H] each
  for (std::size_t k = 0; k < d.T; ++k) {
    const std::size_t t = d.time_of(k, config_.go_backwards);
    const ConstStridedRows xp(ws.x_proj.data() + static_cast<Eigen::Index>(k) * Bi * GH, Bi, GH, Eigen::OuterStride<>(GH));
    StepScratch& s = ws.steps[k];
    s.keep_pre = true;
    cell_->prepare(Bi, s);
    cell_->step(xp, states, w, s);
    ws.prev[k].resize(d.S);
    for (std::size_t i = 0; i < d.S; ++i) ws.prev[k][i] = states[i];
    ws.h_prev.middleRows(static_cast<Eigen::Index>(k) * Bi, Bi) = states[0];
    for (std::size_t b = 0; b < d.B; ++b)  // states = where(keep, new_states, states)
      if (!mask || mask->at(b, t))
        for (std::size_t i = 0; i < d.S; ++i)
          states[i].row(static_cast<Eigen::Index>(b)) = s.new_states[i].row(static_cast<Eigen::Index>(b));
  }
}

// Backward through time: fills the workspace's dz_x and dz_rec, step by step from the last.
void RnnLayer::backward_through_time(const BackwardArgs& args, const CellWeights& w) const {
  Workspace& ws = workspace();
  const RnnConfig& c = config_;
  const std::size_t B = input_shape_[0], T = input_shape_[1], S = cell_->state_names().size();
  const auto Bi = static_cast<Eigen::Index>(B), H = static_cast<Eigen::Index>(c.units);
  const auto GH = static_cast<Eigen::Index>(cell_->gate_count()) * H;
  std::vector<Mat> g_state(S, Mat::Zero(Bi, H));  // ∂loss/∂states_k
  Mat g_out_carry = Mat::Zero(Bi, H);               // ∂loss/∂out_k handed back by a masked step k+1
  std::vector<Mat> d_new(S, Mat(Bi, H));            // ∂loss/∂ what the cell computed at step k
  Eigen::RowVectorXf g_out(H);                      // ∂loss/∂out_k of one sequence
  ws.dz_x.resize(static_cast<Eigen::Index>(T) * Bi, GH);
  ws.dz_rec.resize(static_cast<Eigen::Index>(T) * Bi, GH);  // written only when it differs from dz_x (GRU)
  ws.carried.resize(args.record_steps ? T : 0);
  StepGrad g;
  g.d_prev.assign(S, Mat(Bi, H));
  for (std::size_t k = T; k-- > 0;) {
    const std::size_t t = c.go_backwards ? T - 1 - k : k;
    if (args.record_steps) ws.carried[k] = g_state;
    for (std::size_t b = 0; b < B; ++b) {
      const auto bi = static_cast<Eigen::Index>(b);
      g_out = g_out_carry.row(bi);  // plus the loss's own share at k
      if (c.return_sequences) g_out += ConstMatMap(args.d_output.row(b * T + k), 1, H);
      else if (k == T - 1) g_out += ConstMatMap(args.d_output.row(b), 1, H);
      if (!args.mask || args.mask->at(b, t)) {
        d_new[0].row(bi) = g_out + g_state[0].row(bi);
        for (std::size_t s = 1; s < S; ++s) d_new[s].row(bi) = g_state[s].row(bi);
        for (std::size_t s = 0; s < S; ++s) g_state[s].row(bi).setZero();  // where(m, 0, G_s)
        g_out_carry.row(bi).setZero();
      } else {  // the cell gets nothing; G_s passes through; so does G_o unless zero_output_for_mask
        for (std::size_t s = 0; s < S; ++s) d_new[s].row(bi).setZero();
        if (c.zero_output_for_mask) g_out_carry.row(bi).setZero();
        else g_out_carry.row(bi) = g_out;
      }
    }
    cell_->step_backward(d_new, ws.prev[k], ws.steps[k], w, g);
    for (std::size_t s = 0; s < S; ++s) g_state[s] += g.d_prev[s];
    ws.dz_x.middleRows(static_cast<Eigen::Index>(k) * Bi, Bi) = g.dz_x;
    ws.rec_is_x = g.rec_is_x;
    if (!g.rec_is_x) ws.dz_rec.middleRows(static_cast<Eigen::Index>(k) * Bi, Bi) = g.dz_rec;
  }
}

namespace {

// drecurrent_kernel = Σ_k lhs_kᵀ dz_rec,k with lhs = h_{k-1}, except the last block of GRU reset_after=false,
// whose left operand is r ⊙ h_{k-1}. rows: [first, first + n) of the stacked steps.
void recurrent_gradient(const RnnCell& cell, const Workspace& ws, Eigen::Index first, Eigen::Index n,
                        Eigen::Index B, MatMap out) {
  const Eigen::Index H = ws.h_prev.cols(), GH = ws.rec().cols();
  if (cell.last_block_lhs(ws.steps[0]) == nullptr) {
    out.noalias() = ws.h_prev.middleRows(first, n).transpose() * ws.rec().middleRows(first, n);
    return;
  }
  out.leftCols(GH - H).noalias() = ws.h_prev.middleRows(first, n).transpose() * ws.rec().middleRows(first, n).leftCols(GH - H);
  out.rightCols(H).setZero();
  for (Eigen::Index r = first; r < first + n; ++r) {
    const Mat& rh = *cell.last_block_lhs(ws.steps[static_cast<std::size_t>(r / B)]);  // [B, H]
    out.rightCols(H).noalias() += rh.row(r % B).transpose() * ws.rec().row(r).rightCols(H);
  }
}

}  // namespace

void RnnLayer::backward(const BackwardArgs& args, BackwardResult& result) const {
  const std::size_t B = input_shape_[0], T = input_shape_[1], D = input_shape_[2], H = config_.units;
  const std::size_t GH = cell_->gate_count() * H;
  const CellWeights w{as_matrix(weight("kernel")), as_matrix(weight("recurrent_kernel")),
                      config_.use_bias ? &weight("bias") : nullptr};
  tape_forward(args.input, args.mask, w);
  backward_through_time(args, w);
  const Workspace& ws = workspace();
  const auto rows = static_cast<Eigen::Index>(T * B), Bi = static_cast<Eigen::Index>(B);

  Tensor dkernel({D, GH}), drec({H, GH});
  as_matrix(dkernel).noalias() = ws.xk.transpose() * ws.dz_x;
  if (cell_->last_block_lhs(ws.steps[0]) == nullptr) {
    as_matrix(drec).noalias() = ws.h_prev.transpose() * ws.rec();
  } else {  // GRU reset_after=false: one GEMM for z and r, the reset block step by step
    Tensor block({H, GH});
    as_matrix(drec).setZero();
    for (std::size_t k = 0; k < T; ++k) {
      recurrent_gradient(*cell_, ws, static_cast<Eigen::Index>(k) * Bi, Bi, Bi, as_matrix(block));
      as_matrix(drec) += as_matrix(block);
    }
  }
  result.grad.weights.push_back({"kernel", std::move(dkernel)});
  result.grad.weights.push_back({"recurrent_kernel", std::move(drec)});
  if (config_.use_bias) {
    Tensor dbias(cell_->bias_shape());  // [G·H], or GRU reset_after [2, G·H]: input row, recurrent row
    MatMap db(dbias.data(), static_cast<Eigen::Index>(dbias.size() / GH), static_cast<Eigen::Index>(GH));
    db.row(0) = ws.dz_x.colwise().sum();
    if (db.rows() == 2) db.row(1) = ws.rec().colwise().sum();
    result.grad.weights.push_back({"bias", std::move(dbias)});
  }

  Mat dxk(rows, static_cast<Eigen::Index>(D));  // [T·B, D] ∂loss/∂x_t, processing order
  dxk.noalias() = ws.dz_x * w.kernel.transpose();
  result.d_input = Tensor(input_shape_);
  for (std::size_t k = 0; k < T; ++k)
    for (std::size_t b = 0; b < B; ++b)
      std::copy_n(dxk.row(static_cast<Eigen::Index>(k * B + b)).data(), D,
                  result.d_input.row(b * T + (config_.go_backwards ? T - 1 - k : k)));
  result.grad.gate_names = cell_->gate_names();
  result.grad.kind = LayerGradient::Kind::recurrent;
  if (args.record_steps) record_step_terms(args, result.grad);
}

// Each (sequence, step)'s own term of each weight gradient, and the gradient carried past it.
void RnnLayer::record_step_terms(const BackwardArgs& args, LayerGradient& grad) const {
  const Workspace& ws = workspace();
  const std::size_t B = input_shape_[0], T = input_shape_[1], D = input_shape_[2], H = config_.units;
  const std::size_t GH = cell_->gate_count() * H;
  const auto names = cell_->state_names();
  for (std::size_t b = 0; b < B; ++b) {
    for (std::size_t k = 0; k < T; ++k) {
      const auto row = static_cast<Eigen::Index>(k * B + b);
      const std::size_t t = config_.go_backwards ? T - 1 - k : k;
      StepGradient step{b, t, k, args.mask && !args.mask->at(b, t), {}, {}};
      Tensor ck({D, GH}), cr({H, GH});
      as_matrix(ck).noalias() = ws.xk.row(row).transpose() * ws.dz_x.row(row);
      recurrent_gradient(*cell_, ws, row, 1, static_cast<Eigen::Index>(B), as_matrix(cr));
      step.contributions.push_back({"kernel", std::move(ck)});
      step.contributions.push_back({"recurrent_kernel", std::move(cr)});
      if (config_.use_bias) {
        Tensor cb(cell_->bias_shape());
        std::copy_n(ws.dz_x.row(row).data(), GH, cb.data());
        if (cb.size() == 2 * GH) std::copy_n(ws.rec().row(row).data(), GH, cb.data() + GH);
        step.contributions.push_back({"bias", std::move(cb)});
      }
      for (std::size_t s = 0; s < names.size(); ++s)
        step.carried.push_back({names[s], row_block(ws.carried[k][s], static_cast<Eigen::Index>(b), 0,
                                                    static_cast<Eigen::Index>(H))});
      grad.steps.push_back(std::move(step));
    }
  }
}

}  // namespace maskviz
