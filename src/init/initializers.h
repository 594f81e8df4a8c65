// Keras 3 default initializers, drawn from maskviz's own generator so that a scenario gives the same
// weights, bit for bit, on every machine (no std::*_distribution: the standard leaves their output to
// each library).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>
#include <string_view>

#include "core/tensor.h"

namespace maskviz {

struct Initializer {
  // glorot_normal and he_normal are Keras' VarianceScaling with a normal truncated at two standard
  // deviations; normal is RandomNormal (not truncated).
  enum class Kind { zeros, ones, glorot_uniform, glorot_normal, he_uniform, he_normal, orthogonal, uniform, normal,
                    lstm_bias };
  Kind kind = Kind::zeros;
  float minval = 0, maxval = 0;  // uniform: the range; normal: minval is the mean, maxval the stddev
  std::size_t units = 0;         // lstm_bias only: zeros with the forget block [u, 2u) at one

  static Initializer zeros() { return {Kind::zeros}; }
  static Initializer glorot_uniform() { return {Kind::glorot_uniform}; }
  static Initializer orthogonal() { return {Kind::orthogonal}; }
  static Initializer uniform(float lo, float hi) { return {Kind::uniform, lo, hi}; }
  static Initializer lstm_bias(std::size_t u) { return {Kind::lstm_bias, 0, 0, u}; }
};

// Keras' names for the initializers above, as a pasted config carries them ("glorot_uniform",
// "he_normal", "random_uniform", ...), with Keras' default arguments; nullopt for a name it does not know.
std::optional<Initializer> initializer_by_name(std::string_view name);
const std::vector<std::string>& initializer_names();

// Text for the trace: "glorot_uniform(limit=0.5345)".
std::string describe(const Initializer& init, const Shape& shape);

// The stream for one weight: seeded by the scenario's seed, the layer's position and the weight's name.
std::uint64_t weight_stream_key(std::uint64_t seed, std::size_t layer_index, std::string_view weight_name);

Tensor draw_weight(const Initializer& init, const Shape& shape, std::uint64_t stream_key);

// The work of a draw, in the inner steps of its loops: n·k² for an orthogonal [n, k] (its Householder QR
// in double), one per value for the others.
double draw_work(const Initializer& init, const Shape& shape);
// Measured on a 2-core AMD EPYC: a GRU's [512, 1536] orthogonal recurrent kernel (4.0e8 steps) in 0.38 s
// of CPU time, [1024, 3072] (3.2e9) in 3.9 s: about 1e9 steps a second.
constexpr double kDrawStepsPerSecond = 1e9;
// A draw above this is refused before it starts: 0.6 s at that rate, which leaves room for a slower or
// busier machine to stay under a second.
constexpr double kMaxDrawWork = 6e8;

// The generator: SplitMix64 over a counter, so every draw is a pure function of (key, index).
class Rng {
 public:
  explicit Rng(std::uint64_t key) : state_(key) {}
  std::uint64_t next_u64();
  float uniform01();   // [0, 1) with 24 random bits: exact in float32
  double normal();     // standard normal (Marsaglia polar, with maskviz's own log: see initializers.cpp)

 private:
  std::uint64_t state_;
  bool has_spare_ = false;
  double spare_ = 0;
};

}  // namespace maskviz
