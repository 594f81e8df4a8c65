// The bundled scenarios about learning (scenarios/15*.json, 16f) show what their descriptions promise,
// checked on the gradient record that `maskviz grad` prints.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "engine/engine.h"
#include "grad/backward.h"
#include "scenario/scenario.h"

namespace maskviz {
namespace {

Scenario load_bundled(const std::string& file) {
  std::ifstream in(std::string(MASKVIZ_SOURCE_DIR) + "/scenarios/" + file);
  std::ostringstream text;
  text << in.rdbuf();
  return load_scenario(text.str(), file);
}

const Tensor& gradient(const GradRecord& g, std::size_t layer, const std::string& name) {
  for (const auto& w : g.layers[layer].weights)
    if (w.name == name) return w.value;
  throw std::runtime_error("no gradient " + name);
}

std::vector<float> row(const Tensor& t, std::size_t r) { return {t.row(r), t.row(r) + t.row_length()}; }

TEST(Scenario15aForumLstmGradients, MaskedStepsAddZeroAndThePaddingRowStays) {
  const Scenario s = load_bundled("15a-forum-lstm-gradients.json");
  const auto g = compute_gradients(s, RunMode::masked, true);
  const Tensor& dy = g->layers[2].output_gradient;  // [1, 4, 1]
  EXPECT_EQ(dy.values[1], 0.0f);
  EXPECT_EQ(dy.values[3], 0.0f);
  EXPECT_NE(dy.values[0], 0.0f);
  for (const auto& step : g->layers[1].steps) {
    if (!step.masked) continue;
    for (const auto& term : step.contributions)
      for (float v : term.value.values) EXPECT_EQ(v, 0.0f) << term.name << " t=" << step.t;
  }
  const Tensor& dE = gradient(*g, 0, "embeddings");
  for (std::size_t r : {0, 3, 4}) EXPECT_EQ(row(dE, r), std::vector<float>(4, 0.0f)) << "row " << r;
  EXPECT_EQ(row(g->train.weights_after[0][0].value, 0), row(s.layers[0]->weights()[0].value, 0));
  const auto u = compute_gradients(s, RunMode::unmasked, false);
  EXPECT_NE(row(gradient(*u, 0, "embeddings"), 0), std::vector<float>(4, 0.0f));
}

TEST(Scenario15bFlattenLeaksGradient, RowZeroLearnsAndBothRunsAreTheSame) {
  const Scenario s = load_bundled("15b-flatten-leaks-gradient.json");
  const auto m = compute_gradients(s, RunMode::masked, false);
  const auto u = compute_gradients(s, RunMode::unmasked, false);
  EXPECT_NE(row(gradient(*m, 0, "embeddings"), 0), std::vector<float>(3, 0.0f));
  EXPECT_NE(row(m->train.weights_after[0][0].value, 0), row(s.layers[0]->weights()[0].value, 0));
  for (std::size_t i = 0; i < s.layers.size(); ++i)
    for (std::size_t k = 0; k < m->layers[i].weights.size(); ++k) {
      EXPECT_EQ(m->layers[i].weights[k].value.values, u->layers[i].weights[k].value.values);
      EXPECT_EQ(m->train.weights_after[i][k].value.values, u->train.weights_after[i][k].value.values);
    }
}

TEST(Scenario15cAdamwMovesPaddingRow, ZeroGradientYetDecayedByExactlyTheFactor) {
  const Scenario s = load_bundled("15c-adamw-moves-padding-row.json");
  const auto g = compute_gradients(s, RunMode::masked, false);
  const Tensor& before = s.layers[0]->weights()[0].value;
  const Tensor& after = g->train.weights_after[0][0].value;
  for (std::size_t r : {0, 3, 4}) {
    EXPECT_EQ(row(gradient(*g, 0, "embeddings"), r), std::vector<float>(3, 0.0f));
    for (std::size_t f = 0; f < 3; ++f) {
      const float w = before.row(r)[f];
      EXPECT_EQ(after.row(r)[f], w - w * 0.2f * 0.05f) << "row " << r;  // decay only, Adam adds 0
      EXPECT_NE(after.row(r)[f], w);
    }
  }
  for (std::size_t r : {1, 2, 5})
    for (std::size_t f = 0; f < 3; ++f) EXPECT_NEAR(std::fabs(after.row(r)[f] - before.row(r)[f]), 0.05, 0.02);
}

TEST(Scenario15dNanThroughMaskedStep, ZeroTimesInfinityIsNaN) {
  const Scenario s = load_bundled("15d-nan-through-masked-step.json");
  const auto g = compute_gradients(s, RunMode::masked, false);
  const Tensor& dy = g->layers[1].output_gradient;  // [1, 3, 1]
  EXPECT_TRUE(std::isfinite(dy.values[0]) && std::isfinite(dy.values[1]));
  EXPECT_TRUE(std::isnan(dy.values[2]));
  for (float v : gradient(*g, 1, "kernel").values) EXPECT_TRUE(std::isnan(v));
  EXPECT_TRUE(std::isnan(gradient(*g, 0, "embeddings").values[0]));
  EXPECT_TRUE(std::isfinite(gradient(*g, 0, "embeddings").values[2]));  // row 1, a valid lookup
  EXPECT_TRUE(std::isnan(g->train.weights_after[1][0].value.values[0]));
}

TEST(Scenario16fAttentionGradients, MaskedKeysAndValuesGetExactlyZeroAndRowZeroStays) {
  const Scenario s = load_bundled("16f-attention-gradients.json");
  const auto g = compute_gradients(s, RunMode::masked, true);
  const RunRecord run = run_model(s, RunMode::masked, Detail::outputs);
  const LayerGradient& mha = g->layers[1];
  ASSERT_EQ(mha.kind, LayerGradient::Kind::attention);
  ASSERT_EQ(mha.inputs.size(), 2u);  // query, value (also the key)
  const InputGradient& value = mha.inputs[1];
  EXPECT_TRUE(value.also_key);
  const std::vector<std::size_t> padded = {3, 4, 7, 8, 9};  // rows b·5 + t of token 0
  for (std::size_t r : padded) {
    EXPECT_EQ(row(value.gradient, r), std::vector<float>(4, 0.0f)) << "value/key at padded row " << r;
    EXPECT_EQ(row(mha.inputs[0].gradient, r), std::vector<float>(4, 0.0f)) << "query at padded row " << r;
    EXPECT_EQ(row(mha.output_gradient, r), std::vector<float>(4, 0.0f)) << "output at padded row " << r;
    EXPECT_NE(row(run.layers[1].output, r), std::vector<float>(4, 0.0f)) << "the padded query's output is not 0";
  }
  EXPECT_NE(row(value.gradient, 0), std::vector<float>(4, 0.0f));
  EXPECT_EQ(row(gradient(*g, 0, "embeddings"), 0), std::vector<float>(4, 0.0f));
  EXPECT_EQ(row(g->train.weights_after[0][0].value, 0), row(s.layers[0]->weights()[0].value, 0));
  for (std::size_t k = 0; k < mha.weights.size(); ++k)
    EXPECT_NE(g->train.weights_after[1][k].value.values, s.layers[1]->weights()[k].value.values) << mha.weights[k].name;
  const auto u = compute_gradients(s, RunMode::unmasked, false);
  EXPECT_NE(row(gradient(*u, 0, "embeddings"), 0), std::vector<float>(4, 0.0f));
}

}  // namespace
}  // namespace maskviz
