// Deterministic initializers.
//
// Bit-identical weights everywhere need arithmetic whose result IEEE 754 fixes: + - * / and sqrt are
// correctly rounded, libm's log/cos/exp are not. So the normal draws (for `orthogonal`) use the polar
// method with a log written here from + - * / only, and the QR factorization is Householder in double
// with sqrt. The whole project is compiled with -ffp-contract=off, so no FMA changes a rounding.
#include "init/initializers.h"

#include <fmt/format.h>

#include <cmath>
#include <vector>

namespace maskviz {

std::uint64_t Rng::next_u64() {
  std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

float Rng::uniform01() { return static_cast<float>(next_u64() >> 40) * 0x1.0p-24f; }

namespace {

// ln(x) for x > 0 from + - * / only: x = m·2^e with m in [sqrt(1/2), sqrt(2)), then
// ln(m) = 2·atanh(s), s = (m-1)/(m+1), |s| < 0.172, summed until the terms vanish.
double portable_log(double x) {
  int e = 0;
  double m = std::frexp(x, &e);  // exact: m in [0.5, 1)
  if (m < 0.70710678118654752440) {
    m *= 2.0;
    e -= 1;
  }
  const double s = (m - 1.0) / (m + 1.0);
  const double s2 = s * s;
  double term = s, sum = 0.0;
  for (int k = 1; k < 60; k += 2) {
    sum += term / k;
    term *= s2;
  }
  constexpr double kLn2 = 0.69314718055994530942;
  return 2.0 * sum + e * kLn2;
}

}  // namespace

double Rng::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  for (;;) {
    // 53-bit uniforms in (-1, 1).
    const double u = static_cast<double>(next_u64() >> 11) * 0x1.0p-52 - 1.0;
    const double v = static_cast<double>(next_u64() >> 11) * 0x1.0p-52 - 1.0;
    const double s = u * u + v * v;
    if (s <= 0.0 || s >= 1.0) continue;
    const double factor = std::sqrt(-2.0 * portable_log(s) / s);
    spare_ = v * factor;
    has_spare_ = true;
    return u * factor;
  }
}

std::uint64_t weight_stream_key(std::uint64_t seed, std::size_t layer_index, std::string_view weight_name) {
  // FNV-1a over the name, mixed with the seed and the position through SplitMix64's finalizer.
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : weight_name) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  Rng mix(seed ^ (static_cast<std::uint64_t>(layer_index) * 0xD1B54A32D192ED03ULL) ^ h);
  return mix.next_u64();
}

namespace {

// Keras computes fans on the whole kernel: [in, out] gives fan_in = in, fan_out = out. A kernel of rank
// > 2 (MultiHeadAttention's EinsumDense [D, N, H]) takes its leading axes as a receptive field:
// fan_in = shape[-2]·field, fan_out = shape[-1]·field (initializers/random_initializers.py compute_fans).
float glorot_limit(const Shape& shape) {
  double field = 1;
  for (std::size_t i = 0; i + 2 < shape.size(); ++i) field *= static_cast<double>(shape[i]);
  const double fan_in = shape.size() >= 2 ? static_cast<double>(shape[shape.size() - 2]) * field
                                          : static_cast<double>(shape[0]);
  const double fan_out = shape.size() >= 2 ? static_cast<double>(shape.back()) * field : static_cast<double>(shape[0]);
  return static_cast<float>(std::sqrt(6.0 / (fan_in + fan_out)));
}

// Keras' VarianceScaling fans: fan_in for He, the mean of fan_in and fan_out for Glorot.
double fan_in(const Shape& shape) { return static_cast<double>(shape[0]); }
double fan_avg(const Shape& shape) {
  return (static_cast<double>(shape[0]) + static_cast<double>(shape.size() >= 2 ? shape[1] : shape[0])) / 2.0;
}

// VarianceScaling(distribution="truncated_normal"): stddev sqrt(variance) / .8796..., divided by the
// stddev of a unit normal truncated to [-2, 2] so that the truncated draws have the variance asked for
// (scale / fan); a draw outside two standard deviations is drawn again.
double truncated_stddev(double variance) { return std::sqrt(variance) / 0.87962566103423978; }
void truncated_normal(Tensor& out, double variance, Rng& rng) {
  const double stddev = truncated_stddev(variance);
  for (float& x : out.values) {
    double z = rng.normal();
    while (z < -2.0 || z > 2.0) z = rng.normal();
    x = static_cast<float>(z * stddev);
  }
}

// Keras' Orthogonal(gain=1): a normal matrix of shape (max(r,c), min(r,c)), its QR, Q's columns
// multiplied by sign(diag(R)), transposed when r < c, cut to [r, c].
//
// Every matrix here is stored column by column, so that the sums over a column run through contiguous
// memory (a recurrent kernel of a few hundred units draws in well under a second). Each sum still adds
// its terms in ascending row order, which fixes the rounding and so the bits of the result.
Tensor orthogonal(const Shape& shape, Rng& rng) {
  const std::size_t rows = shape[0], cols = shape[1];
  const std::size_t n = std::max(rows, cols), k = std::min(rows, cols);
  // A [n, k], drawn in row-major order (the order of the stream), kept column-major: a[c * n + i].
  std::vector<double> a(n * k);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t c = 0; c < k; ++c) a[c * n + i] = rng.normal();

  // Householder QR of A: reflector j is v_j (zero above row j), R is left in the upper triangle of a.
  std::vector<double> v(n * k, 0.0);  // [n, k] column-major: column j is v_j
  std::vector<double> v_norm2(k, 0.0);
  std::vector<double> r_diag(k);
  for (std::size_t j = 0; j < k; ++j) {
    double* aj = &a[j * n];
    double* vj = &v[j * n];
    double norm2 = 0;
    for (std::size_t i = j; i < n; ++i) norm2 += aj[i] * aj[i];
    const double norm = std::sqrt(norm2);
    const double alpha = aj[j] > 0 ? -norm : norm;
    for (std::size_t i = j; i < n; ++i) vj[i] = aj[i];
    vj[j] -= alpha;
    double vnorm2 = 0;
    for (std::size_t i = j; i < n; ++i) vnorm2 += vj[i] * vj[i];
    v_norm2[j] = vnorm2;
    if (vnorm2 > 0) {
      for (std::size_t c = j; c < k; ++c) {
        double* ac = &a[c * n];
        double dot = 0;
        for (std::size_t i = j; i < n; ++i) dot += vj[i] * ac[i];
        const double f = 2.0 * dot / vnorm2;
        for (std::size_t i = j; i < n; ++i) ac[i] -= f * vj[i];
      }
    }
    r_diag[j] = aj[j];
  }
  // Q [n, k] = H_0 H_1 ... H_{k-1} applied to the first k columns of I (column-major: q[c * n + i]).
  // H_jj touches rows >= jj only, where every column c < jj is still zero: those are skipped, which
  // changes no bit (their dot product would be 0, and x - 0·v is x).
  std::vector<double> q(n * k, 0.0);
  for (std::size_t j = 0; j < k; ++j) q[j * n + j] = 1.0;
  for (std::size_t jj = k; jj-- > 0;) {
    const double* vj = &v[jj * n];
    if (v_norm2[jj] == 0) continue;
    for (std::size_t c = jj; c < k; ++c) {
      double* qc = &q[c * n];
      double dot = 0;
      for (std::size_t i = jj; i < n; ++i) dot += vj[i] * qc[i];
      const double f = 2.0 * dot / v_norm2[jj];
      for (std::size_t i = jj; i < n; ++i) qc[i] -= f * vj[i];
    }
  }
  // Sign correction makes the result unique: Q·diag(sign(diag(R))).
  for (std::size_t c = 0; c < k; ++c) {
    const double sign = r_diag[c] < 0 ? -1.0 : 1.0;
    for (std::size_t i = 0; i < n; ++i) q[c * n + i] *= sign;
  }
  Tensor out(shape);  // [rows, cols] row-major
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j)
      out.values[i * cols + j] = static_cast<float>(rows < cols ? q[i * n + j] : q[j * n + i]);
  return out;
}

}  // namespace

Tensor draw_weight(const Initializer& init, const Shape& shape, std::uint64_t stream_key) {
  Rng rng(stream_key);
  Tensor out(shape);
  switch (init.kind) {
    case Initializer::Kind::zeros: break;
    case Initializer::Kind::ones:
      for (float& x : out.values) x = 1.0f;
      break;
    case Initializer::Kind::lstm_bias:
      for (std::size_t i = init.units; i < 2 * init.units && i < out.size(); ++i) out.values[i] = 1.0f;
      break;
    case Initializer::Kind::uniform:
      for (float& x : out.values) x = init.minval + (init.maxval - init.minval) * rng.uniform01();
      break;
    case Initializer::Kind::glorot_uniform: {
      const float limit = glorot_limit(shape);
      for (float& x : out.values) x = -limit + 2.0f * limit * rng.uniform01();
      break;
    }
    case Initializer::Kind::glorot_normal: truncated_normal(out, 1.0 / fan_avg(shape), rng); break;
    case Initializer::Kind::he_uniform: {
      const float limit = static_cast<float>(std::sqrt(6.0 / fan_in(shape)));
      for (float& x : out.values) x = -limit + 2.0f * limit * rng.uniform01();
      break;
    }
    case Initializer::Kind::he_normal: truncated_normal(out, 2.0 / fan_in(shape), rng); break;
    case Initializer::Kind::normal:
      for (float& x : out.values) x = static_cast<float>(init.minval + init.maxval * rng.normal());
      break;
    case Initializer::Kind::orthogonal: return orthogonal(shape, rng);
  }
  return out;
}

double draw_work(const Initializer& init, const Shape& shape) {
  if (init.kind != Initializer::Kind::orthogonal || shape.size() != 2) return static_cast<double>(element_count(shape));
  const double n = static_cast<double>(std::max(shape[0], shape[1])), k = static_cast<double>(std::min(shape[0], shape[1]));
  return n * k * k;
}

std::optional<Initializer> initializer_by_name(std::string_view name) {
  using Kind = Initializer::Kind;
  if (name == "zeros") return Initializer{Kind::zeros};
  if (name == "ones") return Initializer{Kind::ones};
  if (name == "glorot_uniform") return Initializer{Kind::glorot_uniform};
  if (name == "glorot_normal") return Initializer{Kind::glorot_normal};
  if (name == "he_uniform") return Initializer{Kind::he_uniform};
  if (name == "he_normal") return Initializer{Kind::he_normal};
  if (name == "orthogonal") return Initializer{Kind::orthogonal};
  if (name == "random_uniform") return Initializer{Kind::uniform, -0.05f, 0.05f};  // RandomUniform's defaults
  if (name == "random_normal") return Initializer{Kind::normal, 0.0f, 0.05f};      // RandomNormal's defaults
  return std::nullopt;
}

const std::vector<std::string>& initializer_names() {
  static const std::vector<std::string> names = {"glorot_uniform", "glorot_normal", "he_uniform", "he_normal",
                                                 "orthogonal",     "zeros",         "ones",       "random_uniform",
                                                 "random_normal"};
  return names;
}

std::string describe(const Initializer& init, const Shape& shape) {
  switch (init.kind) {
    case Initializer::Kind::zeros: return "zeros";
    case Initializer::Kind::ones: return "ones";
    case Initializer::Kind::lstm_bias: return "zeros, forget gate ones (unit_forget_bias)";
    case Initializer::Kind::uniform: return fmt::format("uniform({:g}, {:g})", init.minval, init.maxval);
    case Initializer::Kind::glorot_uniform: return fmt::format("glorot_uniform(limit={:.4f})", glorot_limit(shape));
    case Initializer::Kind::glorot_normal:
      return fmt::format("glorot_normal(truncated, stddev={:.4f})", truncated_stddev(1.0 / fan_avg(shape)));
    case Initializer::Kind::he_uniform: return fmt::format("he_uniform(limit={:.4f})", std::sqrt(6.0 / fan_in(shape)));
    case Initializer::Kind::he_normal:
      return fmt::format("he_normal(truncated, stddev={:.4f})", truncated_stddev(2.0 / fan_in(shape)));
    case Initializer::Kind::normal: return fmt::format("normal(mean={:g}, stddev={:g})", init.minval, init.maxval);
    case Initializer::Kind::orthogonal: return "orthogonal(gain=1)";
  }
  return "?";
}

}  // namespace maskviz
