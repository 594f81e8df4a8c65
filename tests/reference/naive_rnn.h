// A plain reference for the recurrent layers: naive loops over b, t and every unit, copied from the
// Keras 3.15.1 sources formula by formula, and nothing else. It is the algorithmic reference kept beside
// the fast path (src/layers/rnn.cpp and the cells); tests/reference_test.cpp holds the two equal.
//
// Dimension letters: B batch, T time, D input features, H units.
//
// Sources mirrored (keras-team/keras @ v3.15.1):
//   keras/src/layers/rnn/simple_rnn.py  SimpleRNNCell.call   h = φ((x·W + b) + h_prev·U)
//   keras/src/layers/rnn/lstm.py        LSTMCell.call        implementation 2, gates i, f, c, o
//   keras/src/layers/rnn/gru.py         GRUCell.call         implementation 2, gates z, r, h; reset_after both ways
//   keras/src/backend/tensorflow/rnn.py rnn()                the while_loop masked path: the walk below
//   keras/src/layers/rnn/bidirectional.py                    forward + backward (go_backwards=True), flip, merge
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "layers/activations.h"

namespace maskviz::reference {

// One activation of one number. Softmax is not elementwise: see activate().
inline float activate_one(Activation a, float x) {
  switch (a) {
    case Activation::linear: return x;
    case Activation::relu: return x > 0.0f ? x : 0.0f;
    case Activation::tanh: return std::tanh(x);
    case Activation::sigmoid: return 1.0f / (1.0f + std::exp(-x));
    case Activation::hard_sigmoid: {  // Keras 3: relu6(x + 3) / 6
      const float r = x + 3.0f;
      return (r < 0.0f ? 0.0f : r > 6.0f ? 6.0f : r) / 6.0f;
    }
    case Activation::elu: return x > 0.0f ? x : std::expm1(x);
    case Activation::gelu: return 0.5f * x * (1.0f + std::erf(x / std::sqrt(2.0f)));
    case Activation::swish: return x / (1.0f + std::exp(-x));
    case Activation::softmax: return x;  // handled by activate()
  }
  return x;
}

// Activation of a vector of H numbers: one gate of one sample (softmax runs over those H).
inline std::vector<float> activate(Activation a, std::vector<float> v) {
  if (a == Activation::softmax) {
    float max = v[0];
    for (float x : v) max = x > max ? x : max;
    float sum = 0;
    for (float& x : v) sum += (x = std::exp(x - max));
    for (float& x : v) x /= sum;
    return v;
  }
  for (float& x : v) x = activate_one(a, x);
  return v;
}

struct RnnSpec {
  std::string type;  // "SimpleRNN", "LSTM", "GRU"
  std::size_t units = 0;
  Activation activation = Activation::tanh;
  Activation recurrent_activation = Activation::sigmoid;
  bool return_sequences = false;
  bool go_backwards = false;
  bool zero_output_for_mask = false;
  bool reset_after = true;  // GRU
};

struct RnnWeights {
  std::vector<float> kernel;            // [D, G*H]
  std::vector<float> recurrent_kernel;  // [H, G*H]
  std::vector<float> bias;              // [G*H], GRU reset_after [2, 3H]; empty without use_bias
};

struct RnnResult {
  std::vector<float> output;               // [B, T, H] in processing order, or [B, H]
  std::vector<std::vector<float>> states;  // final states, [B, H] each: h (and c for LSTM)
};

inline std::size_t gate_count(const std::string& type) { return type == "LSTM" ? 4 : type == "GRU" ? 3 : 1; }

// out[j] = Σ_i in[i] · M[i, col0 + j]  for j < n, where M is [rows, cols] row-major.
inline std::vector<float> vec_mat(const std::vector<float>& in, const std::vector<float>& m, std::size_t cols,
                                  std::size_t col0, std::size_t n) {
  std::vector<float> out(n, 0.0f);
  for (std::size_t j = 0; j < n; ++j)
    for (std::size_t i = 0; i < in.size(); ++i) out[j] += in[i] * m[i * cols + col0 + j];
  return out;
}

inline std::vector<float> slice(const std::vector<float>& v, std::size_t from, std::size_t n) {
  return {v.begin() + static_cast<std::ptrdiff_t>(from), v.begin() + static_cast<std::ptrdiff_t>(from + n)};
}

// One cell step for one sample. x: [D]; states: h (and c), [H] each. Returns the new states; the output
// of every cell is the new h.
inline std::vector<std::vector<float>> cell_step(const RnnSpec& s, const RnnWeights& w, const std::vector<float>& x,
                                                 const std::vector<std::vector<float>>& states) {
  const std::size_t H = s.units, G = gate_count(s.type), GH = G * H;
  const std::vector<float>& h_prev = states[0];
  const bool has_bias = !w.bias.empty();
  const std::vector<float> xw = vec_mat(x, w.kernel, GH, 0, GH);  // x·W

  if (s.type == "SimpleRNN") {
    std::vector<float> z(H);
    const std::vector<float> hu = vec_mat(h_prev, w.recurrent_kernel, GH, 0, H);
    for (std::size_t j = 0; j < H; ++j) z[j] = (xw[j] + (has_bias ? w.bias[j] : 0.0f)) + hu[j];
    return {activate(s.activation, z)};
  }

  if (s.type == "LSTM") {
    const std::vector<float> hu = vec_mat(h_prev, w.recurrent_kernel, GH, 0, GH);
    std::vector<float> z(GH);
    for (std::size_t j = 0; j < GH; ++j) z[j] = (xw[j] + hu[j]) + (has_bias ? w.bias[j] : 0.0f);
    const auto i = activate(s.recurrent_activation, slice(z, 0, H));
    const auto f = activate(s.recurrent_activation, slice(z, H, H));
    const auto cc = activate(s.activation, slice(z, 2 * H, H));
    const auto o = activate(s.recurrent_activation, slice(z, 3 * H, H));
    std::vector<float> c(H);
    for (std::size_t j = 0; j < H; ++j) c[j] = f[j] * states[1][j] + i[j] * cc[j];
    const auto phi_c = activate(s.activation, c);
    std::vector<float> h(H);
    for (std::size_t j = 0; j < H; ++j) h[j] = o[j] * phi_c[j];
    return {h, c};
  }

  // GRU
  std::vector<float> mx = xw;  // matrix_x = x·W + input_bias
  if (has_bias)
    for (std::size_t j = 0; j < GH; ++j) mx[j] += w.bias[j];  // row 0 of [2, 3H], or the whole [3H]
  std::vector<float> inner;  // matrix_inner
  if (s.reset_after) {
    inner = vec_mat(h_prev, w.recurrent_kernel, GH, 0, GH);
    if (has_bias)
      for (std::size_t j = 0; j < GH; ++j) inner[j] += w.bias[GH + j];  // recurrent_bias, row 1
  } else {
    inner = vec_mat(h_prev, w.recurrent_kernel, GH, 0, 2 * H);
  }
  std::vector<float> zz(H), rr(H);
  for (std::size_t j = 0; j < H; ++j) {
    zz[j] = mx[j] + inner[j];
    rr[j] = mx[H + j] + inner[H + j];
  }
  const auto z = activate(s.recurrent_activation, zz);
  const auto r = activate(s.recurrent_activation, rr);
  std::vector<float> recurrent_h(H);
  if (s.reset_after) {
    for (std::size_t j = 0; j < H; ++j) recurrent_h[j] = r[j] * inner[2 * H + j];
  } else {
    std::vector<float> r_h(H);
    for (std::size_t j = 0; j < H; ++j) r_h[j] = r[j] * h_prev[j];
    recurrent_h = vec_mat(r_h, w.recurrent_kernel, GH, 2 * H, H);
  }
  std::vector<float> pre_hh(H);
  for (std::size_t j = 0; j < H; ++j) pre_hh[j] = mx[2 * H + j] + recurrent_h[j];
  const auto hh = activate(s.activation, pre_hh);
  std::vector<float> h(H);
  for (std::size_t j = 0; j < H; ++j) h[j] = z[j] * h_prev[j] + (1.0f - z[j]) * hh[j];
  return {h};
}

// The TF backend's masked while_loop, one sample at a time:
//   prev_out = 0; for k, t in order: out, new = cell(x_t, states)
//   out = mask ? out : (zero_output_for_mask ? 0 : prev_out); states = mask ? new : states; prev_out = out
// x: [B, T, D]; keep: [B, T] (empty = no mask), 1 = valid step.
inline RnnResult run_rnn(const RnnSpec& s, const RnnWeights& w, const std::vector<float>& x, std::size_t B,
                         std::size_t T, std::size_t D, const std::vector<std::uint8_t>& keep) {
  const std::size_t H = s.units;
  const std::size_t S = s.type == "LSTM" ? 2 : 1;
  RnnResult result;
  result.output.assign(s.return_sequences ? B * T * H : B * H, 0.0f);
  result.states.assign(S, std::vector<float>(B * H, 0.0f));
  for (std::size_t b = 0; b < B; ++b) {
    std::vector<std::vector<float>> states(S, std::vector<float>(H, 0.0f));
    std::vector<float> prev_out(H, 0.0f);
    for (std::size_t k = 0; k < T; ++k) {
      const std::size_t t = s.go_backwards ? T - 1 - k : k;
      const std::vector<float> x_t(x.begin() + static_cast<std::ptrdiff_t>((b * T + t) * D),
                                   x.begin() + static_cast<std::ptrdiff_t>((b * T + t + 1) * D));
      const auto new_states = cell_step(s, w, x_t, states);
      const bool kept = keep.empty() || keep[b * T + t] != 0;
      if (kept) {
        states = new_states;
        prev_out = new_states[0];
      } else if (s.zero_output_for_mask) {
        prev_out.assign(H, 0.0f);
      }
      if (s.return_sequences)
        for (std::size_t j = 0; j < H; ++j) result.output[(b * T + k) * H + j] = prev_out[j];
    }
    if (!s.return_sequences)
      for (std::size_t j = 0; j < H; ++j) result.output[b * H + j] = prev_out[j];
    for (std::size_t i = 0; i < S; ++i)
      for (std::size_t j = 0; j < H; ++j) result.states[i][b * H + j] = states[i][j];
  }
  return result;
}

// Bidirectional (keras/src/layers/rnn/bidirectional.py): both halves get zero_output_for_mask =
// return_sequences; the backward half runs with go_backwards=True and, with return_sequences, is
// flipped back to input order before the merge.
inline RnnResult run_bidirectional(RnnSpec s, const std::string& merge_mode, const RnnWeights& forward_w,
                                   const RnnWeights& backward_w, const std::vector<float>& x, std::size_t B,
                                   std::size_t T, std::size_t D, const std::vector<std::uint8_t>& keep) {
  s.zero_output_for_mask = s.return_sequences;
  RnnSpec backward_spec = s;
  backward_spec.go_backwards = true;
  const RnnResult y = run_rnn(s, forward_w, x, B, T, D, keep);
  RnnResult y_rev = run_rnn(backward_spec, backward_w, x, B, T, D, keep);
  const std::size_t H = s.units;
  const std::size_t rows = s.return_sequences ? B * T : B;
  if (s.return_sequences) {
    std::vector<float> flipped(y_rev.output.size());
    for (std::size_t b = 0; b < B; ++b)
      for (std::size_t t = 0; t < T; ++t)
        for (std::size_t j = 0; j < H; ++j)
          flipped[(b * T + t) * H + j] = y_rev.output[(b * T + (T - 1 - t)) * H + j];
    y_rev.output = flipped;
  }
  RnnResult merged;
  const std::size_t width = merge_mode == "concat" ? 2 * H : H;
  merged.output.assign(rows * width, 0.0f);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t j = 0; j < H; ++j) {
      const float f = y.output[r * H + j], g = y_rev.output[r * H + j];
      if (merge_mode == "concat") {
        merged.output[r * width + j] = f;
        merged.output[r * width + H + j] = g;
      } else if (merge_mode == "sum") {
        merged.output[r * width + j] = f + g;
      } else if (merge_mode == "ave") {
        merged.output[r * width + j] = (f + g) / 2.0f;
      } else {
        merged.output[r * width + j] = f * g;
      }
    }
  }
  merged.states = y.states;  // forward states, then backward states
  merged.states.insert(merged.states.end(), y_rev.states.begin(), y_rev.states.end());
  return merged;
}

}  // namespace maskviz::reference
