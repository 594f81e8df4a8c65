// What masking does to learning, asserted with numbers:
//   - a masked step's contribution to every weight gradient is exactly ±0, and the steps' contributions
//     sum to the weight gradient;
//   - the masked run's gradients equal those of the same model on the sequence with its masked steps cut
//     out (post-, pre- and middle padding; forwards and go_backwards; LSTM, GRU, SimpleRNN);
//   - the padding row of an embedding gets exactly 0 and does not move under sgd or adam, but AdamW's
//     decay shrinks it by exactly the factor 1 - lr·wd; behind Flatten it gets a real gradient;
//   - an overflow at a masked step turns the "zero" gradient into NaN (0 · inf), as in TensorFlow.
#include <gtest/gtest.h>

#include <cmath>

#include <fmt/format.h>

#include "grad/backward.h"
#include "scenario/scenario.h"

namespace maskviz {
namespace {

const Tensor& weight_grad(const LayerGradient& layer, const std::string& name) {
  for (const auto& w : layer.weights)
    if (w.name == name) return w.value;
  throw std::runtime_error("no gradient named " + name);
}

std::string recurrent_model(const std::string& tokens, const std::string& rnn) {
  return fmt::format(R"({{"seed": 5, "input": {{"tokens": [{}]}},
    "layers": [{{"type": "Embedding", "input_dim": 4, "output_dim": 3, "mask_zero": true}}, {},
               {{"type": "Dense", "units": 1}}],
    "target": [[0.5]], "loss": "mse"}})", tokens, rnn);
}

TEST(MaskedSteps, ContributeExactlyZeroAndTheStepsSumToTheGradient) {
  for (const char* rnn : {R"({"type": "LSTM", "units": 3})", R"({"type": "GRU", "units": 3, "reset_after": false})",
                          R"({"type": "SimpleRNN", "units": 3, "go_backwards": true})"}) {
    SCOPED_TRACE(rnn);
    const Scenario s = load_scenario(recurrent_model("[1, 0, 2, 0, 3]", rnn), "test");
    const auto g = compute_gradients(s, RunMode::masked, true);
    const LayerGradient& layer = g->layers[1];
    ASSERT_EQ(layer.steps.size(), 5u);
    std::size_t masked = 0;
    for (const auto& c : layer.steps[0].contributions) {
      Tensor sum(c.value.shape);
      for (const auto& step : layer.steps) {
        const Tensor* part = nullptr;
        for (const auto& cc : step.contributions)
          if (cc.name == c.name) part = &cc.value;
        for (std::size_t i = 0; i < sum.size(); ++i) sum.values[i] += part->values[i];
        if (!step.masked) continue;
        ++masked;
        for (float v : part->values) EXPECT_EQ(v, 0.0f) << c.name << " at t=" << step.t;
      }
      const Tensor& total = weight_grad(layer, c.name);
      for (std::size_t i = 0; i < sum.size(); ++i) EXPECT_NEAR(sum.values[i], total.values[i], 1e-6) << c.name;
    }
    EXPECT_EQ(masked, 2u * layer.steps[0].contributions.size());
    // Token 0 is looked up twice; its row's gradient is exactly 0.
    for (std::size_t f = 0; f < 3; ++f) EXPECT_EQ(weight_grad(g->layers[0], "embeddings").values[f], 0.0f);
  }
}

// The masked run on padded tokens against the unmasked run on the valid tokens alone.
void expect_same_as_cut_out(const std::string& rnn, const std::string& padded, const std::string& cut) {
  const Scenario a = load_scenario(recurrent_model(padded, rnn), "padded");
  const Scenario b = load_scenario(recurrent_model(cut, rnn), "cut");
  const auto ga = compute_gradients(a, RunMode::masked, false);
  const auto gb = compute_gradients(b, RunMode::unmasked, false);
  EXPECT_NEAR(ga->loss, gb->loss, 1e-7);
  for (std::size_t i = 0; i < ga->layers.size(); ++i) {
    for (std::size_t k = 0; k < ga->layers[i].weights.size(); ++k) {
      const Tensor& x = ga->layers[i].weights[k].value;
      const Tensor& y = gb->layers[i].weights[k].value;
      ASSERT_EQ(x.size(), y.size());
      for (std::size_t e = 0; e < x.size(); ++e)
        EXPECT_NEAR(x.values[e], y.values[e], 1e-7 + 1e-5 * std::fabs(y.values[e]))
            << ga->layers[i].name << "/" << ga->layers[i].weights[k].name << "[" << e << "]";
    }
  }
}

TEST(MaskedSteps, GradientsEqualThoseOfTheSequenceWithItsPaddingCutOut) {
  for (const char* rnn : {R"({"type": "LSTM", "units": 3})", R"({"type": "GRU", "units": 3})",
                          R"({"type": "GRU", "units": 3, "reset_after": false})", R"({"type": "SimpleRNN", "units": 3})",
                          R"({"type": "LSTM", "units": 3, "go_backwards": true})"}) {
    SCOPED_TRACE(rnn);
    {
      SCOPED_TRACE("post-padding");
      expect_same_as_cut_out(rnn, "[1, 3, 2, 0, 0]", "[1, 3, 2]");
    }
    {
      SCOPED_TRACE("pre-padding");
      expect_same_as_cut_out(rnn, "[0, 0, 1, 3, 2]", "[1, 3, 2]");
    }
    {
      SCOPED_TRACE("middle padding");
      expect_same_as_cut_out(rnn, "[1, 0, 3, 0, 2]", "[1, 3, 2]");
    }
  }
}

std::string embedding_model(const std::string& middle, const std::string& train) {
  return fmt::format(R"({{"seed": 9, "input": {{"tokens": [[1, 2, 0]]}},
    "layers": [{{"type": "Embedding", "input_dim": 4, "output_dim": 2, "mask_zero": true,
                 "weights": {{"embeddings": [[0.5, -0.25], [0.1, 0.2], [-0.3, 0.4], [0.7, 0.1]]}}}}, {},
               {{"type": "Dense", "units": 1}}],
    "target": {}, "loss": "mse", "train": {}}})", middle,
                     middle.find("Flatten") != std::string::npos ? "[[1]]" : "[[[1], [0], [1]]]", train);
}

TEST(PaddingRow, ZeroGradientDoesNotMoveUnderSgdOrAdamButDecaysUnderAdamW) {
  const std::string lstm = R"({"type": "LSTM", "units": 2, "return_sequences": true})";
  for (const char* train : {R"({"optimizer": "sgd", "learning_rate": 0.5})", R"({"optimizer": "adam", "learning_rate": 0.5})"}) {
    const auto g = compute_gradients(load_scenario(embedding_model(lstm, train), "t"), RunMode::masked, false);
    EXPECT_EQ(weight_grad(g->layers[0], "embeddings").values[0], 0.0f);
    EXPECT_EQ(g->train.weights_after[0][0].value.values[0], 0.5f) << train;   // row 0 unchanged
    EXPECT_EQ(g->train.weights_after[0][0].value.values[7], 0.1f) << train;   // row 3, never looked up
    EXPECT_NE(g->train.weights_after[0][0].value.values[2], 0.1f) << train;   // row 1 moved
  }
  const auto g = compute_gradients(
      load_scenario(embedding_model(lstm, R"({"optimizer": "adamw", "learning_rate": 0.5, "weight_decay": 0.1})"), "t"),
      RunMode::masked, false);
  EXPECT_EQ(g->train.weights_after[0][0].value.values[0], 0.5f - 0.5f * 0.1f * 0.5f);  // w - w·wd·lr, exactly
  // The unmasked run: padding is data, row 0 has a gradient and moves.
  const auto u = compute_gradients(load_scenario(embedding_model(lstm, R"({"optimizer": "sgd"})"), "t"),
                                   RunMode::unmasked, false);
  EXPECT_NE(weight_grad(u->layers[0], "embeddings").values[0], 0.0f);
}

TEST(PaddingRow, FlattenDropsTheMaskSoRowZeroGetsARealGradient) {
  const auto g = compute_gradients(load_scenario(embedding_model(R"({"type": "Flatten"})", R"({"optimizer": "sgd"})"), "t"),
                                   RunMode::masked, false);
  const Tensor& d = weight_grad(g->layers[0], "embeddings");
  EXPECT_NE(d.values[0], 0.0f);
  EXPECT_NE(g->train.weights_after[0][0].value.values[0], 0.5f);
}

TEST(PaddingRow, AnOverflowAtAMaskedStepMakesTheZeroGradientNaN) {
  // Row 0 · kernel overflows to inf at the masked step t=2; its loss term has weight 0, and
  // 0 · ∂(inf - y)²/∂ŷ = 0 · inf = NaN flows back into every weight it touches.
  const Scenario s = load_scenario(R"({"input": {"tokens": [[1, 0]]},
    "layers": [{"type": "Embedding", "input_dim": 2, "output_dim": 2, "mask_zero": true,
                "weights": {"embeddings": [[3e38, 3e38], [0.1, 0.2]]}},
               {"type": "Dense", "units": 1, "weights": {"kernel": [[2], [2]], "bias": [0]}}],
    "target": [[[1], [0]]], "loss": "mse"})", "t");
  const auto g = compute_gradients(s, RunMode::masked, true);
  EXPECT_TRUE(std::isnan(g->layers[1].output_gradient.values[1]));  // the masked step's "zero"
  EXPECT_EQ(g->layers[1].output_gradient.values[0], g->layers[1].output_gradient.values[0]);  // t=0 finite
  EXPECT_TRUE(std::isnan(weight_grad(g->layers[1], "kernel").values[0]));
  EXPECT_TRUE(std::isnan(weight_grad(g->layers[0], "embeddings").values[0]));
  EXPECT_TRUE(std::isnan(g->train.weights_after[1][0].value.values[0]));
}

}  // namespace
}  // namespace maskviz
