// The weights maskviz draws when a scenario leaves them out: Keras 3's default initializers (ranges,
// orthogonality, the LSTM forget-gate bias), drawn by our own generator so that the same scenario gives the
// same bytes everywhere. The pinned values at the end catch any change in the generator: if one of them
// fails, every drawn weight in every trace has changed, and the goldens that rely on drawn weights with it.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <set>

#include "init/initializers.h"
#include "scenario/scenario.h"

namespace maskviz {
namespace {

double mean(const std::vector<float>& v) {
  double sum = 0;
  for (float x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

double variance(const std::vector<float>& v) {
  const double m = mean(v);
  double sum = 0;
  for (float x : v) sum += (x - m) * (x - m);
  return sum / static_cast<double>(v.size());
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.shape == b.shape && a.values.size() == b.values.size() &&
         std::memcmp(a.values.data(), b.values.data(), a.values.size() * sizeof(float)) == 0;
}

// Largest |(M·Mᵀ - I)[i][j]| for M [rows, cols] (rows <= cols: the rows are orthonormal).
double rows_orthonormal_error(const Tensor& m) {
  const std::size_t rows = m.dim(0), cols = m.dim(1);
  double worst = 0;
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < rows; ++j) {
      double dot = 0;
      for (std::size_t k = 0; k < cols; ++k) dot += double{m.values[i * cols + k]} * m.values[j * cols + k];
      worst = std::max(worst, std::fabs(dot - (i == j ? 1.0 : 0.0)));
    }
  return worst;
}

Tensor transposed(const Tensor& m) {
  const std::size_t rows = m.dim(0), cols = m.dim(1);
  Tensor out({cols, rows});
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) out.values[j * rows + i] = m.values[i * cols + j];
  return out;
}

TEST(Generator, IsSplitMix64) {
  // The reference SplitMix64 (Steele, Lea, Flood 2014; Vigna's splitmix64.c) from state 0.
  Rng rng(0);
  EXPECT_EQ(rng.next_u64(), 0xE220A8397B1DCDAFULL);
  EXPECT_EQ(rng.next_u64(), 0x6E789E6AA1B965F4ULL);
  EXPECT_EQ(rng.next_u64(), 0x06C45D188009454FULL);
}

TEST(Generator, Uniform01IsInTheUnitInterval) {
  Rng rng(42);
  std::vector<float> draws(100000);
  for (float& x : draws) {
    x = rng.uniform01();
    ASSERT_GE(x, 0.0f);
    ASSERT_LT(x, 1.0f);
  }
  EXPECT_NEAR(mean(draws), 0.5, 0.005);
  EXPECT_NEAR(variance(draws), 1.0 / 12.0, 0.002);
}

TEST(Generator, NormalHasMeanZeroVarianceOne) {
  Rng rng(3);
  std::vector<float> draws(200000);
  for (float& x : draws) x = static_cast<float>(rng.normal());
  EXPECT_NEAR(mean(draws), 0.0, 0.01);
  EXPECT_NEAR(variance(draws), 1.0, 0.01);
  // Tails as a normal's: about 4.55% beyond two standard deviations.
  const auto beyond = std::count_if(draws.begin(), draws.end(), [](float x) { return std::fabs(x) > 2.0f; });
  EXPECT_NEAR(static_cast<double>(beyond) / draws.size(), 0.0455, 0.003);
}

TEST(GlorotUniform, WithinTheLimitAndRoughlyUniform) {
  const Shape shape{64, 256};
  const double limit = std::sqrt(6.0 / (64 + 256));
  const Tensor w = draw_weight(Initializer::glorot_uniform(), shape, weight_stream_key(1, 0, "kernel"));
  ASSERT_EQ(w.shape, shape);
  for (float x : w.values) ASSERT_LE(std::fabs(x), limit + 1e-7);
  // Uniform on [-limit, limit): mean 0, variance limit²/3, ten equal bins about equally full.
  EXPECT_NEAR(mean(w.values), 0.0, 0.01 * limit);
  EXPECT_NEAR(variance(w.values), limit * limit / 3.0, 0.03 * limit * limit / 3.0);
  std::vector<int> bins(10, 0);
  for (float x : w.values) ++bins[std::min(9, static_cast<int>((x + limit) / (2 * limit) * 10))];
  for (int count : bins) EXPECT_NEAR(count, w.size() / 10.0, 0.1 * w.size() / 10.0);
}

TEST(GlorotUniform, LimitUsesBothFans) {
  EXPECT_EQ(describe(Initializer::glorot_uniform(), {4, 12}), "glorot_uniform(limit=0.6124)");  // sqrt(6/16)
  EXPECT_EQ(describe(Initializer::glorot_uniform(), {3, 2}), "glorot_uniform(limit=1.0954)");   // sqrt(6/5)
}

TEST(Orthogonal, RecurrentKernelRowsAreOrthonormal) {
  for (std::size_t units : {1u, 3u, 8u, 32u}) {
    SCOPED_TRACE(units);
    // The LSTM recurrent kernel [u, 4u]: u orthonormal rows.
    const Tensor w = draw_weight(Initializer::orthogonal(), {units, 4 * units}, weight_stream_key(5, 1, "recurrent_kernel"));
    EXPECT_LT(rows_orthonormal_error(w), 1e-5);
  }
}

TEST(Orthogonal, SquareAndTallMatrices) {
  const Tensor square = draw_weight(Initializer::orthogonal(), {16, 16}, 99);
  EXPECT_LT(rows_orthonormal_error(square), 1e-5);
  EXPECT_LT(rows_orthonormal_error(transposed(square)), 1e-5);
  const Tensor tall = draw_weight(Initializer::orthogonal(), {12, 5}, 100);  // columns orthonormal
  EXPECT_LT(rows_orthonormal_error(transposed(tall)), 1e-5);
}

TEST(Orthogonal, IsNotTheIdentityOrAPermutation) {
  // A QR that returned I would pass the orthonormality test: the draw must spread over every entry.
  const Tensor w = draw_weight(Initializer::orthogonal(), {8, 8}, 7);
  const auto small = std::count_if(w.values.begin(), w.values.end(), [](float x) { return std::fabs(x) < 1e-3f; });
  EXPECT_LT(small, 4);
}

TEST(LstmBias, ForgetBlockIsOne) {
  const std::size_t u = 5;
  const Tensor b = draw_weight(Initializer::lstm_bias(u), {4 * u}, 1);
  for (std::size_t i = 0; i < 4 * u; ++i) EXPECT_EQ(b.values[i], (i >= u && i < 2 * u) ? 1.0f : 0.0f) << i;
}

TEST(Embeddings, UniformWithinFiveHundredths) {
  const Tensor e = draw_weight(Initializer::uniform(-0.05f, 0.05f), {100, 50}, weight_stream_key(0, 0, "embeddings"));
  for (float x : e.values) {
    ASSERT_GE(x, -0.05f);
    ASSERT_LE(x, 0.05f);
  }
  EXPECT_NEAR(mean(e.values), 0.0, 0.002);
  EXPECT_NEAR(variance(e.values), 0.01 / 12.0, 0.0001);
  EXPECT_GT(std::set<float>(e.values.begin(), e.values.end()).size(), 4900u);
}

TEST(Zeros, AreZero) {
  const Tensor z = draw_weight(Initializer::zeros(), {2, 6}, 12345);
  for (float x : z.values) EXPECT_EQ(x, 0.0f);
}

TEST(Determinism, SameKeySameBytes) {
  for (const Initializer& init : {Initializer::glorot_uniform(), Initializer::orthogonal(), Initializer::uniform(-1, 1)}) {
    const Tensor a = draw_weight(init, {6, 24}, weight_stream_key(7, 2, "kernel"));
    const Tensor b = draw_weight(init, {6, 24}, weight_stream_key(7, 2, "kernel"));
    EXPECT_TRUE(same_bytes(a, b));
  }
}

TEST(Determinism, SeedPositionAndNameEachChangeTheStream) {
  const std::uint64_t base = weight_stream_key(7, 2, "kernel");
  const std::set<std::uint64_t> keys = {base,
                                        weight_stream_key(8, 2, "kernel"),
                                        weight_stream_key(7, 3, "kernel"),
                                        weight_stream_key(7, 2, "recurrent_kernel"),
                                        weight_stream_key(7, 2, "kernel_"),
                                        weight_stream_key(0, 0, "")};
  EXPECT_EQ(keys.size(), 6u);
  const Tensor a = draw_weight(Initializer::glorot_uniform(), {4, 4}, base);
  for (std::uint64_t other : keys) {
    if (other == base) continue;
    EXPECT_FALSE(same_bytes(a, draw_weight(Initializer::glorot_uniform(), {4, 4}, other)));
  }
}

TEST(Determinism, TwoLoadsOfAScenarioDrawTheSameBytes) {
  const std::string text = R"({"seed": 31, "input": {"tokens": [[1, 0, 2]]}, "layers": [
      {"type": "Embedding", "input_dim": 3, "output_dim": 4, "mask_zero": true},
      {"type": "LSTM", "units": 3, "return_sequences": true},
      {"type": "Bidirectional", "layer": {"type": "GRU", "units": 2}},
      {"type": "Dense", "units": 2}]})";
  const Scenario a = load_scenario(text, "a"), b = load_scenario(text, "b");
  for (std::size_t i = 0; i < a.layers.size(); ++i) {
    ASSERT_EQ(a.layers[i]->weights().size(), b.layers[i]->weights().size());
    for (std::size_t w = 0; w < a.layers[i]->weights().size(); ++w) {
      EXPECT_TRUE(a.layers[i]->weights()[w].drawn);
      EXPECT_TRUE(same_bytes(a.layers[i]->weights()[w].value, b.layers[i]->weights()[w].value))
          << a.layers[i]->name() << " " << a.layers[i]->weights()[w].name;
    }
  }
  // The two halves of the Bidirectional get different weights.
  const auto& halves = a.layers[2]->weights();
  EXPECT_FALSE(same_bytes(halves[0].value, halves[3].value));
}

TEST(Determinism, DrawnScenarioWeightsFollowKerasDefaults) {
  const Scenario s = load_scenario(R"({"input": {"tokens": [[1, 0]]}, "layers": [
      {"type": "Embedding", "input_dim": 2, "output_dim": 3},
      {"type": "LSTM", "units": 4, "return_sequences": true},
      {"type": "LSTM", "units": 2, "unit_forget_bias": false}]})", "s");
  for (float x : s.layers[0]->weight("embeddings").values) EXPECT_LE(std::fabs(x), 0.05f);
  const Tensor& kernel = s.layers[1]->weight("kernel");  // [3, 16]
  for (float x : kernel.values) EXPECT_LE(std::fabs(x), std::sqrt(6.0f / 19.0f));
  EXPECT_LT(rows_orthonormal_error(s.layers[1]->weight("recurrent_kernel")), 1e-5);
  const Tensor& bias = s.layers[1]->weight("bias");
  for (std::size_t i = 0; i < 16; ++i) EXPECT_EQ(bias.values[i], (i >= 4 && i < 8) ? 1.0f : 0.0f);
  for (float x : s.layers[2]->weight("bias").values) EXPECT_EQ(x, 0.0f);  // unit_forget_bias false: zeros
}

// Pinned draws. These numbers are what the generator gave when it was written; they are not Keras' (no
// one can reproduce Keras' random draws), they are maskviz's promise that a scenario's drawn weights never
// change. Changing the generator on purpose means updating these and saying so in the change log.
TEST(Pinned, StreamKey) {
  EXPECT_EQ(weight_stream_key(0, 0, "kernel"), 0xA94E50034E635582ULL);
  EXPECT_EQ(weight_stream_key(7, 1, "recurrent_kernel"), 0x81926991D3F2D869ULL);
}

TEST(Pinned, GlorotKernel) {
  const Tensor w = draw_weight(Initializer::glorot_uniform(), {3, 4}, weight_stream_key(7, 1, "kernel"));
  const std::vector<float> expected = {0x1.b50a34p-1f, -0x1.c34bdap-2f, 0x1.aae334p-1f, -0x1.a03ffcp-2f};
  // 0.853593469, -0.440719038, 0.833764672, -0.406494081
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(w.values[i], expected[i]) << i;
}

TEST(Pinned, OrthogonalRecurrentKernel) {
  const Tensor w = draw_weight(Initializer::orthogonal(), {2, 8}, weight_stream_key(7, 1, "recurrent_kernel"));
  const std::vector<float> expected = {-0x1.2b9584p-2f, 0x1.328adcp-2f, 0x1.54a01p-2f, -0x1.1628b8p-2f};
  // -0.292562544, 0.299357831, 0.33264184, -0.271639705
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(w.values[i], expected[i]) << i;
}

TEST(Pinned, Embeddings) {
  const Tensor w = draw_weight(Initializer::uniform(-0.05f, 0.05f), {5, 4}, weight_stream_key(7, 0, "embeddings"));
  const std::vector<float> expected = {-0x1.2f2cf4p-5f, 0x1.0b9e1ep-5f, -0x1.5e0374p-5f, 0x1.91ac96p-5f};
  // -0.03700874, 0.0326681696, -0.042726256, 0.0490324907
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(w.values[i], expected[i]) << i;
}

}  // namespace
}  // namespace maskviz
