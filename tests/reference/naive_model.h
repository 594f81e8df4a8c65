// A plain double-precision reference of a whole scenario's forward pass and loss: naive loops over every
// index, written from the Keras 3.15.1 formulas (the same ones the layer files cite), reading only each
// layer's resolved config() and its weights. It knows nothing of the backward pass: the tests take its
// finite differences as the reference gradient (tests/gradient_check_test.cpp).
//
// Dimension letters: B batch, T time, D input features, H units, F features, C classes.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scenario/scenario.h"

namespace maskviz::reference {

using Vec = std::vector<double>;

struct DTensor {
  Shape shape;
  Vec v;
  std::size_t row_length() const { return shape.back(); }
  double* row(std::size_t i) { return v.data() + i * row_length(); }
  const double* row(std::size_t i) const { return v.data() + i * row_length(); }
};

using DMask = std::optional<std::vector<std::uint8_t>>;  // [B, T], 1 = keep

// The weights of every layer as doubles: [layer][weight in Layer::weights() order], flattened.
using Params = std::vector<std::vector<Vec>>;

inline Params params_of(const Scenario& s) {
  Params p;
  for (const auto& layer : s.layers) {
    p.emplace_back();
    for (const auto& w : layer->weights()) p.back().emplace_back(w.value.values.begin(), w.value.values.end());
  }
  return p;
}

// Adds `delta` to one element of one layer's output, after it is computed (for ∂loss/∂output).
struct Nudge {
  std::size_t layer = 0;
  std::size_t index = 0;
  double delta = 0;
};

inline Vec activate(const std::string& a, Vec z) {
  if (a == "softmax") {
    double max = z[0], sum = 0;
    for (double x : z) max = std::max(max, x);
    for (double& x : z) sum += (x = std::exp(x - max));
    for (double& x : z) x /= sum;
    return z;
  }
  for (double& x : z) {
    if (a == "relu") x = x > 0 ? x : 0;
    else if (a == "tanh") x = std::tanh(x);
    else if (a == "sigmoid") x = 1 / (1 + std::exp(-x));
    else if (a == "hard_sigmoid") x = std::min(std::max(x + 3, 0.0), 6.0) / 6;
    else if (a == "elu") x = x > 0 ? x : std::expm1(x);
    else if (a == "gelu") x = 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
    else if (a == "swish") x = x / (1 + std::exp(-x));
  }
  return z;
}

inline Vec part(const Vec& v, std::size_t from, std::size_t n) {
  return {v.begin() + static_cast<std::ptrdiff_t>(from), v.begin() + static_cast<std::ptrdiff_t>(from + n)};
}

// in · M[:, col0 : col0 + n], M [rows, cols]
inline Vec vec_mat(const Vec& in, const Vec& m, std::size_t cols, std::size_t col0, std::size_t n) {
  Vec out(n, 0.0);
  for (std::size_t j = 0; j < n; ++j)
    for (std::size_t i = 0; i < in.size(); ++i) out[j] += in[i] * m[i * cols + col0 + j];
  return out;
}

struct Rnn {
  std::string type;
  Json config;
  const std::vector<Vec>* w;  // kernel, recurrent_kernel, bias (if use_bias)
  bool go_backwards;
};

// One cell step of one sample: the new states (h first; LSTM also c).
inline std::vector<Vec> cell(const Rnn& r, const Vec& x, const std::vector<Vec>& st) {
  const auto H = r.config["units"].get<std::size_t>();
  const std::string act = r.config["activation"], rec = r.config.value("recurrent_activation", "sigmoid");
  const Vec &W = (*r.w)[0], &U = (*r.w)[1];
  const bool bias = r.config["use_bias"].get<bool>();
  const std::size_t G = r.type == "LSTM" ? 4 : r.type == "GRU" ? 3 : 1, GH = G * H;
  const Vec xw = vec_mat(x, W, GH, 0, GH);
  if (r.type == "SimpleRNN") {
    Vec z = vec_mat(st[0], U, GH, 0, H);
    for (std::size_t j = 0; j < H; ++j) z[j] += xw[j] + (bias ? (*r.w)[2][j] : 0);
    return {activate(act, z)};
  }
  if (r.type == "LSTM") {
    Vec z = vec_mat(st[0], U, GH, 0, GH);
    for (std::size_t j = 0; j < GH; ++j) z[j] += xw[j] + (bias ? (*r.w)[2][j] : 0);
    const Vec i = activate(rec, part(z, 0, H)), f = activate(rec, part(z, H, H)), g = activate(act, part(z, 2 * H, H)),
              o = activate(rec, part(z, 3 * H, H));
    Vec c(H), h(H);
    for (std::size_t j = 0; j < H; ++j) c[j] = f[j] * st[1][j] + i[j] * g[j];
    const Vec pc = activate(act, c);
    for (std::size_t j = 0; j < H; ++j) h[j] = o[j] * pc[j];
    return {h, c};
  }
  const bool after = r.config["reset_after"].get<bool>();
  Vec mx = xw;
  if (bias)
    for (std::size_t j = 0; j < GH; ++j) mx[j] += (*r.w)[2][j];
  Vec inner = vec_mat(st[0], U, GH, 0, after ? GH : 2 * H);
  if (bias && after)
    for (std::size_t j = 0; j < GH; ++j) inner[j] += (*r.w)[2][GH + j];
  Vec az(H), ar(H);
  for (std::size_t j = 0; j < H; ++j) {
    az[j] = mx[j] + inner[j];
    ar[j] = mx[H + j] + inner[H + j];
  }
  const Vec z = activate(rec, az), rr = activate(rec, ar);
  Vec ah(H);
  if (after) {
    for (std::size_t j = 0; j < H; ++j) ah[j] = mx[2 * H + j] + rr[j] * inner[2 * H + j];
  } else {
    Vec rh(H);
    for (std::size_t j = 0; j < H; ++j) rh[j] = rr[j] * st[0][j];
    const Vec p = vec_mat(rh, U, GH, 2 * H, H);
    for (std::size_t j = 0; j < H; ++j) ah[j] = mx[2 * H + j] + p[j];
  }
  const Vec hh = activate(act, ah);
  Vec h(H);
  for (std::size_t j = 0; j < H; ++j) h[j] = z[j] * st[0][j] + (1 - z[j]) * hh[j];
  return {h};
}

// The TF-backend walk: where(mask, new, old) for the states, the output carried or zeroed.
inline DTensor rnn(const Rnn& r, const DTensor& x, const DMask& mask) {
  const std::size_t B = x.shape[0], T = x.shape[1], D = x.shape[2];
  const auto H = r.config["units"].get<std::size_t>();
  const bool seq = r.config["return_sequences"].get<bool>(), zero = r.config["zero_output_for_mask"].get<bool>();
  DTensor out{seq ? Shape{B, T, H} : Shape{B, H}, {}};
  out.v.assign(element_count(out.shape), 0.0);
  for (std::size_t b = 0; b < B; ++b) {
    std::vector<Vec> st(r.type == "LSTM" ? 2 : 1, Vec(H, 0.0));
    Vec prev_out(H, 0.0);
    for (std::size_t k = 0; k < T; ++k) {
      const std::size_t t = r.go_backwards ? T - 1 - k : k;
      const Vec xt(x.row(b * T + t), x.row(b * T + t) + D);
      const auto next = cell(r, xt, st);
      const bool keep = !mask || (*mask)[b * T + t];
      Vec o = keep ? next[0] : zero ? Vec(H, 0.0) : prev_out;
      if (keep) st = next;
      prev_out = o;
      if (seq) std::copy(o.begin(), o.end(), out.row(b * T + k));
      else if (k == T - 1) std::copy(o.begin(), o.end(), out.row(b));
    }
  }
  return out;
}

struct State {
  DTensor x;
  DMask mask;
  std::optional<DTensor> logits;
};

inline DTensor dense(const DTensor& x, const Json& c, const std::vector<Vec>& w, std::optional<DTensor>& logits) {
  const std::size_t D = x.row_length(), H = c["units"].get<std::size_t>(), rows = x.v.size() / D;
  DTensor z{x.shape, Vec(rows * H, 0.0)};
  z.shape.back() = H;
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t j = 0; j < H; ++j) {
      double s = 0;
      for (std::size_t i = 0; i < D; ++i) s += x.row(r)[i] * w[0][i * H + j];
      z.row(r)[j] = s + (c["use_bias"].get<bool>() ? w[1][j] : 0);
    }
  const std::string a = c["activation"];
  logits.reset();
  if (a == "sigmoid" || a == "softmax") logits = z;
  for (std::size_t r = 0; r < rows; ++r) {
    const Vec y = activate(a, Vec(z.row(r), z.row(r) + H));
    std::copy(y.begin(), y.end(), z.row(r));
  }
  return z;
}

inline void bidirectional(State& s, const Json& c, const std::vector<Vec>& w) {
  const Json& inner = c["layer"];
  const std::string mode = c["merge_mode"];
  const std::size_t n = w.size() / 2;
  const std::vector<Vec> wf(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(n)),
      wb(w.begin() + static_cast<std::ptrdiff_t>(n), w.end());
  const DTensor yf = rnn({inner["type"], inner, &wf, false}, s.x, s.mask);
  DTensor yb = rnn({inner["type"], inner, &wb, true}, s.x, s.mask);
  const bool seq = inner["return_sequences"].get<bool>();
  const std::size_t H = yf.row_length(), rows = yf.v.size() / H;
  if (seq) {
    const std::size_t B = yf.shape[0], T = yf.shape[1];
    DTensor flipped = yb;
    for (std::size_t b = 0; b < B; ++b)
      for (std::size_t t = 0; t < T; ++t) std::copy_n(yb.row(b * T + T - 1 - t), H, flipped.row(b * T + t));
    yb = flipped;
  }
  DTensor out = yf;
  if (mode == "concat") {
    out.shape.back() = 2 * H;
    out.v.assign(rows * 2 * H, 0.0);
  }
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t j = 0; j < H; ++j) {
      const double f = yf.row(r)[j], b = yb.row(r)[j];
      if (mode == "concat") {
        out.row(r)[j] = f;
        out.row(r)[H + j] = b;
      } else {
        out.row(r)[j] = mode == "sum" ? f + b : mode == "ave" ? (f + b) / 2 : f * b;
      }
    }
  s.x = out;
  if (!seq) s.mask.reset();
}

inline void pooling(State& s, bool average) {
  const std::size_t B = s.x.shape[0], T = s.x.shape[1], F = s.x.shape[2];
  DTensor out{{B, F}, Vec(B * F, 0.0)};
  for (std::size_t b = 0; b < B; ++b)
    for (std::size_t f = 0; f < F; ++f) {
      double acc = average ? 0 : s.x.row(b * T)[f], n = 0;
      for (std::size_t t = 0; t < T; ++t) {
        const double v = s.x.row(b * T + t)[f];
        if (!average) {
          acc = std::max(acc, v);
        } else if (!s.mask || (*s.mask)[b * T + t]) {
          acc += v;
          n += 1;
        }
      }
      out.row(b)[f] = average ? acc / n : acc;
    }
  s.x = out;
  s.mask.reset();
}

// One layer of the Sequential walk; mask handling as in engine.cpp.
inline void layer_forward(State& s, const Layer& layer, const std::vector<Vec>& w, RunMode mode) {
  const std::string type = layer.type();
  const Json c = layer.config();
  if (type != "Activation" && type != "Dropout") s.logits.reset();
  if (type == "Embedding") {
    const std::size_t B = s.x.shape[0], T = s.x.shape[1], F = c["output_dim"].get<std::size_t>();
    DTensor out{{B, T, F}, Vec(B * T * F)};
    std::vector<std::uint8_t> m(B * T);
    for (std::size_t i = 0; i < B * T; ++i) {
      const auto tok = static_cast<std::size_t>(s.x.v[i]);
      std::copy_n(w[0].data() + tok * F, F, out.row(i));
      m[i] = tok != 0;
    }
    s.x = out;
    if (c["mask_zero"].get<bool>() && mode == RunMode::masked) s.mask = m;
  } else if (type == "Masking") {
    if (mode == RunMode::unmasked) return;
    const double mv = c["mask_value"].get<double>();
    const std::size_t rows = s.x.v.size() / s.x.row_length(), F = s.x.row_length();
    std::vector<std::uint8_t> m(rows);
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t f = 0; f < F; ++f) m[r] |= s.x.row(r)[f] != mv;
      if (!m[r]) std::fill_n(s.x.row(r), F, 0.0);
    }
    s.mask = m;
  } else if (type == "Dense") {
    s.x = dense(s.x, c, w, s.logits);
  } else if (type == "Activation") {
    const std::string a = c["activation"];
    if (a == "sigmoid" || a == "softmax") s.logits = s.x;
    else if (a != "linear") s.logits.reset();
    const std::size_t n = s.x.row_length();
    for (std::size_t r = 0; r < s.x.v.size() / n; ++r) {
      const Vec y = activate(a, Vec(s.x.row(r), s.x.row(r) + n));
      std::copy(y.begin(), y.end(), s.x.row(r));
    }
  } else if (type == "Dropout") {
  } else if (type == "Flatten") {
    s.x.shape = {s.x.shape[0], s.x.v.size() / s.x.shape[0]};
    s.mask.reset();
  } else if (type == "GlobalAveragePooling1D" || type == "GlobalMaxPooling1D") {
    if (type == "GlobalMaxPooling1D") s.mask.reset();
    pooling(s, type == "GlobalAveragePooling1D");
  } else if (type == "Bidirectional") {
    bidirectional(s, c, w);
  } else {
    s.x = rnn({type, c, &w, c["go_backwards"].get<bool>()}, s.x, s.mask);
    if (!c["return_sequences"].get<bool>()) s.mask.reset();
  }
}

// One loss term over the last axis; `logits` says whether s holds logits.
inline double loss_term(LossKind kind, bool logits, const double* y, double label, const double* s, std::size_t C) {
  const double eps = 1e-7;
  auto clip = [&](double p) { return std::min(std::max(p, eps), 1 - eps); };
  double total = 0;
  if (kind == LossKind::mse || kind == LossKind::mae) {
    for (std::size_t c = 0; c < C; ++c) total += kind == LossKind::mse ? (y[c] - s[c]) * (y[c] - s[c]) : std::fabs(y[c] - s[c]);
    return total / static_cast<double>(C);
  }
  if (kind == LossKind::binary_crossentropy) {
    for (std::size_t c = 0; c < C; ++c) {
      const double p = logits ? 1 / (1 + std::exp(-s[c])) : clip(s[c]);
      total += -(y[c] * std::log(p) + (1 - y[c]) * std::log(1 - p));
    }
    return total / static_cast<double>(C);
  }
  Vec q(s, s + C);
  if (logits) {
    q = activate("softmax", q);
  } else {
    double sum = 0;
    for (double v : q) sum += v;
    for (double& v : q) v /= sum;
  }
  if (kind == LossKind::sparse_categorical_crossentropy) return -std::log(logits ? q[static_cast<std::size_t>(label)] : clip(q[static_cast<std::size_t>(label)]));
  for (std::size_t c = 0; c < C; ++c) total -= y[c] * std::log(logits ? q[c] : clip(q[c]));
  return total;
}

}  // namespace maskviz::reference

#include "naive_attention.h"

namespace maskviz::reference {

// A layer that reads several tensors (or a graph-only layer): `s` starts as a copy of the first input.
// Mask rules of Keras 3 (keras-masking.md, attention-and-gradients.md §A): merges build theirs from the
// inputs' masks, attention layers hand on the query's, the others pass theirs on.
inline void graph_layer_forward(State& s, const std::vector<State>& in, const Layer& layer, const std::vector<Vec>& w,
                                RunMode mode) {
  const std::string type = layer.type();
  const Json c = layer.config();
  if (type == "Add") {
    s.logits.reset();
    bool all = true;
    for (std::size_t i = 1; i < in.size(); ++i)
      for (std::size_t e = 0; e < s.x.v.size(); ++e) s.x.v[e] += in[i].x.v[e];
    for (const State& x : in) all = all && x.mask.has_value();
    s.mask.reset();
    if (all) {
      s.mask = in[0].mask;
      for (const State& x : in)
        for (std::size_t e = 0; e < s.mask->size(); ++e) (*s.mask)[e] |= (*x.mask)[e];
    }
  } else if (type == "Concatenate") {
    s.logits.reset();
    std::size_t F = 0;
    bool any = false;
    for (const State& x : in) F += x.x.row_length(), any = any || x.mask.has_value();
    const std::size_t rows = s.x.v.size() / s.x.row_length();
    DTensor out{s.x.shape, Vec(rows * F)};
    out.shape.back() = F;
    for (std::size_t r = 0; r < rows; ++r) {
      double* y = out.row(r);
      for (const State& x : in) y = std::copy_n(x.x.row(r), x.x.row_length(), y);
    }
    s.x = out;
    s.mask.reset();
    if (any) {
      s.mask = std::vector<std::uint8_t>(s.x.shape[0] * s.x.shape[1], 0);
      for (const State& x : in)
        for (std::size_t e = 0; e < s.mask->size(); ++e) (*s.mask)[e] |= x.mask ? (*x.mask)[e] : 1;
    }
  } else if (type == "LayerNormalization") {
    s.logits.reset();
    naive_layer_norm(s.x, c, layer, w);
  } else if (type == "Softmax") {
    s.logits.reset();
    naive_softmax(s.x, s.mask, s.x.shape[0], s.x.shape[1]);
  } else if (type == "Attention") {
    const DTensor& k = in.size() > 2 ? in[2].x : in[1].x;
    s.x = naive_attention(in[0].x, in[1].x, k, in[0].mask, in[1].mask, c, layer, w);
    s.logits.reset();
  } else if (type == "MultiHeadAttention") {
    const DTensor& k = in.size() > 2 ? in[2].x : in[1].x;
    s.x = naive_mha(in[0].x, in[1].x, k, in[0].mask, in[1].mask, in.size() > 2 ? in[2].mask : DMask{}, c, layer, w);
    s.logits.reset();
  } else {
    layer_forward(s, layer, w, mode);
  }
}

// The loss value model.evaluate reports, in double: the Functional walk in Keras' order (a Sequential
// stack is its simplest case), MultiHeadAttention clearing the masks of the tensors it read (§A.1.3).
inline double naive_loss(const Scenario& sc, RunMode mode, const Params& p, const std::optional<Nudge>& nudge = {}) {
  const std::size_t I = sc.inputs.size();
  std::vector<State> tensors(I + sc.layers.size());
  for (std::size_t i = 0; i < I; ++i)
    tensors[i].x = {sc.inputs[i].values.shape, Vec(sc.inputs[i].values.values.begin(), sc.inputs[i].values.values.end())};
  auto at = [&](const NodeRef& r) { return r.model_input ? r.index : I + r.index; };
  for (std::size_t i : sc.execution_order) {
    std::vector<State> in;
    for (const NodeRef& r : sc.wiring[i].sources) in.push_back(tensors[at(r)]);
    State s = in[0];
    graph_layer_forward(s, in, *sc.layers[i], p[i], mode);
    if (sc.layers[i]->type() == "MultiHeadAttention")
      for (const NodeRef& r : sc.wiring[i].sources) tensors[at(r)].mask.reset();
    if (nudge && nudge->layer == i) s.x.v[nudge->index] += nudge->delta;
    tensors[I + i] = std::move(s);
  }
  State& s = tensors.back();
  const LossSpec& spec = *sc.loss;
  const bool reads_logits = s.logits && spec.kind != LossKind::mse && spec.kind != LossKind::mae;
  const DTensor& scores = reads_logits ? *s.logits : s.x;
  const std::size_t C = scores.row_length(), N = scores.v.size() / C;
  const bool sparse = spec.kind == LossKind::sparse_categorical_crossentropy;
  const bool masked = s.mask && s.x.shape.size() == 3;
  std::size_t V = N;
  if (masked) V = static_cast<std::size_t>(std::count(s.mask->begin(), s.mask->end(), 1));
  double sum = 0;
  for (std::size_t i = 0; i < N; ++i) {
    if (masked && !(*s.mask)[i]) continue;
    const Vec y = sparse ? Vec{} : Vec(sc.target->row(i), sc.target->row(i) + C);
    sum += loss_term(spec.kind, reads_logits || spec.from_logits, y.data(), sparse ? sc.target->values[i] : 0,
                     scores.row(i), C);
  }
  return V == 0 ? 0.0 : sum / static_cast<double>(V);
}

}  // namespace maskviz::reference
