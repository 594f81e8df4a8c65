// The fast path against the plain reference (tests/reference/naive_rnn.h): random weights, inputs and
// masks from a fixed seed, every recurrent layer type and every config that changes the walk, through
// the engine as a scenario (Masking -> the layer) and through the naive loops. Equal within 1e-5.
//
// Also: the three detail levels compute the same numbers, bit for bit (recording never changes what
// is computed), and the unmasked run equals the reference without a mask.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "init/initializers.h"
#include "reference/naive_rnn.h"
#include "scenario/scenario.h"

namespace maskviz {
namespace {

constexpr std::size_t B = 4, T = 6, D = 3, H = 5;

// [B, T]: trailing padding; leading and middle padding; fully masked; no padding.
const std::vector<std::uint8_t> kKeep = {1, 1, 1, 1, 0, 0,  //
                                         0, 1, 0, 1, 1, 0,  //
                                         0, 0, 0, 0, 0, 0,  //
                                         1, 1, 1, 1, 1, 1};

std::vector<float> uniform(std::size_t n, float limit, Rng& rng) {
  std::vector<float> v(n);
  for (float& x : v) x = limit * (2.0f * rng.uniform01() - 1.0f);
  return v;
}

Json nested(const std::vector<float>& v, const Shape& shape, std::size_t axis = 0, std::size_t offset = 0) {
  if (axis + 1 == shape.size()) {
    Json row = Json::array();
    for (std::size_t i = 0; i < shape[axis]; ++i) row.push_back(v[offset + i]);
    return row;
  }
  std::size_t stride = 1;
  for (std::size_t a = axis + 1; a < shape.size(); ++a) stride *= shape[a];
  Json out = Json::array();
  for (std::size_t i = 0; i < shape[axis]; ++i) out.push_back(nested(v, shape, axis + 1, offset + i * stride));
  return out;
}

// x: [B, T, D], zero at every masked step (so Masking makes kKeep), random elsewhere; one kept step
// has a zero feature, which must not mask it.
std::vector<float> masked_input(Rng& rng) {
  std::vector<float> x = uniform(B * T * D, 1.0f, rng);
  for (std::size_t i = 0; i < B * T; ++i)
    if (kKeep[i] == 0)
      for (std::size_t f = 0; f < D; ++f) x[i * D + f] = 0.0f;
  x[(0 * T + 1) * D + 0] = 0.0f;
  return x;
}

reference::RnnWeights random_weights(const reference::RnnSpec& spec, bool use_bias, Rng& rng) {
  const std::size_t GH = reference::gate_count(spec.type) * H;
  const bool two_biases = spec.type == "GRU" && spec.reset_after;
  return {uniform(D * GH, 0.6f, rng), uniform(H * GH, 0.6f, rng),
          use_bias ? uniform((two_biases ? 2 : 1) * GH, 0.4f, rng) : std::vector<float>{}};
}

Json weights_json(const reference::RnnSpec& spec, const reference::RnnWeights& w) {
  const std::size_t GH = reference::gate_count(spec.type) * H;
  Json j = {{"kernel", nested(w.kernel, {D, GH})}, {"recurrent_kernel", nested(w.recurrent_kernel, {H, GH})}};
  if (!w.bias.empty())
    j["bias"] = w.bias.size() == GH ? nested(w.bias, {GH}) : nested(w.bias, {2, GH});
  return j;
}

struct Case {
  reference::RnnSpec spec;
  bool use_bias = true;
  bool return_state = false;
  std::string bidirectional;  // merge mode, or empty for the layer alone
  std::string name() const {
    std::string n = bidirectional.empty() ? "" : "Bidirectional(" + bidirectional + ") ";
    n += spec.type;
    if (spec.type == "GRU") n += spec.reset_after ? "[reset_after]" : "[reset_before]";
    if (spec.return_sequences) n += " return_sequences";
    if (spec.go_backwards) n += " go_backwards";
    if (spec.zero_output_for_mask) n += " zero_output_for_mask";
    if (!use_bias) n += " no_bias";
    if (return_state) n += " return_state";
    n += std::string(" activation=") + activation_name(spec.activation);
    if (spec.type != "SimpleRNN") n += std::string(" recurrent_activation=") + activation_name(spec.recurrent_activation);
    return n;
  }
};

Json layer_json(const Case& c) {
  Json layer = {{"type", c.spec.type},
                {"units", H},
                {"activation", activation_name(c.spec.activation)},
                {"use_bias", c.use_bias},
                {"return_sequences", c.spec.return_sequences},
                {"return_state", c.return_state}};
  if (c.spec.type != "SimpleRNN") layer["recurrent_activation"] = activation_name(c.spec.recurrent_activation);
  if (c.spec.type == "GRU") layer["reset_after"] = c.spec.reset_after;
  if (c.bidirectional.empty()) {
    layer["go_backwards"] = c.spec.go_backwards;
    layer["zero_output_for_mask"] = c.spec.zero_output_for_mask;
  }
  return layer;
}

double max_diff(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return INFINITY;
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(static_cast<double>(a[i]) - b[i]));
  return m;
}

void check_case(const Case& c, std::uint64_t seed) {
  SCOPED_TRACE(c.name());
  Rng rng(seed);
  const std::vector<float> x = masked_input(rng);
  const reference::RnnWeights forward_w = random_weights(c.spec, c.use_bias, rng);
  const reference::RnnWeights backward_w = random_weights(c.spec, c.use_bias, rng);

  Json layer = layer_json(c);
  if (c.bidirectional.empty()) {
    layer["weights"] = weights_json(c.spec, forward_w);
  } else {
    layer = {{"type", "Bidirectional"},
             {"merge_mode", c.bidirectional},
             {"layer", layer},
             {"weights", {{"forward", weights_json(c.spec, forward_w)}, {"backward", weights_json(c.spec, backward_w)}}}};
  }
  const Json scenario = {{"maskviz", 1},
                         {"input", {{"values", nested(x, {B, T, D})}}},
                         {"layers", {{{"type", "Masking"}, {"mask_value", 0.0}}, layer}}};
  const Scenario loaded = load_scenario(scenario.dump(), "reference_test");

  for (const RunMode mode : {RunMode::masked, RunMode::unmasked}) {
    SCOPED_TRACE(mode_name(mode));
    const std::vector<std::uint8_t> keep = mode == RunMode::masked ? kKeep : std::vector<std::uint8_t>{};
    const reference::RnnResult want =
        c.bidirectional.empty() ? reference::run_rnn(c.spec, forward_w, x, B, T, D, keep)
                                : reference::run_bidirectional(c.spec, c.bidirectional, forward_w, backward_w, x, B, T, D, keep);

    const RunRecord outputs_only = run_model(loaded, mode, Detail::outputs);
    const LayerRecord& got = outputs_only.layers.at(1);
    const double diff = max_diff(got.output.values, want.output);
    EXPECT_LE(diff, 1e-5) << "output maxdiff " << diff;
    if (c.return_state) {
      ASSERT_EQ(got.states.size(), want.states.size());
      for (std::size_t s = 0; s < want.states.size(); ++s) {
        const double state_diff = max_diff(got.states[s].value.values, want.states[s]);
        EXPECT_LE(state_diff, 1e-5) << "state " << got.states[s].name << " maxdiff " << state_diff;
      }
    }
    // Recording more never computes differently.
    for (const Detail detail : {Detail::steps, Detail::full}) {
      const RunRecord recorded = run_model(loaded, mode, detail);
      EXPECT_EQ(recorded.layers.at(1).output.values, got.output.values) << detail_name(detail);
    }
  }
}

std::vector<Case> every_case() {
  std::vector<Case> cases;
  for (const char* type : {"SimpleRNN", "LSTM", "GRU"}) {
    for (const bool reset_after : {true, false}) {
      if (std::string(type) != "GRU" && !reset_after) continue;
      for (int flags = 0; flags < 16; ++flags) {
        Case c;
        c.spec.type = type;
        c.spec.units = H;
        c.spec.reset_after = reset_after;
        c.spec.return_sequences = (flags & 1) != 0;
        c.spec.go_backwards = (flags & 2) != 0;
        c.spec.zero_output_for_mask = (flags & 4) != 0;
        c.use_bias = (flags & 8) == 0;
        c.return_state = !c.spec.return_sequences;
        cases.push_back(c);
      }
      // Other activations: a softmax runs over each gate's H values separately.
      for (const auto& [act, rec] : {std::pair{Activation::relu, Activation::hard_sigmoid},
                                    std::pair{Activation::softmax, Activation::softmax},
                                    std::pair{Activation::gelu, Activation::swish},
                                    std::pair{Activation::elu, Activation::linear}}) {
        Case c;
        c.spec.type = type;
        c.spec.units = H;
        c.spec.reset_after = reset_after;
        c.spec.return_sequences = true;
        c.spec.activation = act;
        c.spec.recurrent_activation = rec;
        cases.push_back(c);
      }
      for (const char* merge : {"concat", "sum", "ave", "mul"}) {
        for (const bool sequences : {true, false}) {
          Case c;
          c.spec.type = type;
          c.spec.units = H;
          c.spec.reset_after = reset_after;
          c.spec.return_sequences = sequences;
          c.return_state = !sequences;
          c.bidirectional = merge;
          cases.push_back(c);
        }
      }
    }
  }
  return cases;
}

TEST(ReferenceVsFast, EveryRecurrentConfigAgreesWithTheNaiveLoops) {
  std::uint64_t seed = 2024;
  const auto cases = every_case();
  EXPECT_GE(cases.size(), 100u);
  for (const Case& c : every_case()) check_case(c, seed++);
}

// The reference itself, on a case small enough to do by hand: SimpleRNN, H = 1, linear, kernel 1,
// recurrent_kernel 1, no bias: h_t = x_t + h_{t-1}, a running sum that a masked step leaves alone.
TEST(ReferenceVsFast, TheReferenceIsARunningSumWhenWeightsAreOne) {
  reference::RnnSpec spec;
  spec.type = "SimpleRNN";
  spec.units = 1;
  spec.activation = Activation::linear;
  spec.return_sequences = true;
  const reference::RnnWeights w{{1.0f}, {1.0f}, {}};
  const auto result = reference::run_rnn(spec, w, {1, 2, 4, 8}, 1, 4, 1, {1, 1, 0, 1});
  EXPECT_EQ(result.output, (std::vector<float>{1, 3, 3, 11}));
}

}  // namespace
}  // namespace maskviz
