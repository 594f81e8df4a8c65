// What masking does to learning, asserted with numbers:
//   - a masked step's contribution to every weight gradient is exactly ±0, and the steps' contributions
//     sum to the weight gradient;
//   - the masked run's gradients equal those of the same model on the sequence with its masked steps cut
//     out (post-, pre- and middle padding; forwards and go_backwards; LSTM, GRU, SimpleRNN);
//   - the padding row of an embedding gets exactly 0 and does not move under sgd or adam, but AdamW's
//     decay shrinks it by exactly the factor 1 - lr·wd; behind Flatten it gets a real gradient;
//   - masked keys and values of MultiHeadAttention get exactly 0 from a masked loss (and a residual that
//     lost the mask undoes it);
//   - an overflow at a masked step turns the "zero" gradient into NaN (0 · inf), as in TensorFlow.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "engine/engine.h"
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

// Embedding(mask_zero) → MultiHeadAttention(x, x) → Dense → masked MSE. What is exactly zero, and why:
//   - a padded position p is a QUERY too: its row is fully masked, so on the fused path its weights are
//     uniform 1/S and its output row is NOT zero (checked below). But the loss is masked by the query
//     mask (MHA hands on the query's mask), so ∂loss/∂Y[p] = 0 exactly, Dense sends back 0·W = 0, and
//     dO[p] = 0: nothing flows from that row, not to its own query (dL[p,·] = where(M, ·, 0) = 0) nor
//     to any value (dV[s] += P[p,s]·dO[p] = 0);
//   - as a KEY, p gets dL[t,p] = where(M, ·, 0) = 0 from every row, so dK[p] = 0;
//   - as a VALUE, every valid query row has P[t,p] exactly 0 (exp of the -2.37e38 fill underflows), so
//     dV[p] = Σ_t P[t,p]·dO[t] = 0.
// So the gradient reaching the embedding output at p is exactly ±0, and so is row 0 of the table,
// which only padded positions look up. On the explicit path (dropout > 0) the same holds, with P = 0 at
// every masked entry. Not zero: the weight gradients and the rows of the valid tokens.
TEST(PaddingRow, MaskedKeysAndValuesOfMultiHeadAttentionGetExactlyZero) {
  for (const char* path : {"", R"(, "dropout": 0.25)"}) {
    SCOPED_TRACE(*path ? "explicit path" : "fused path");
    const Scenario s = load_scenario(fmt::format(R"({{"seed": 8, "input": {{"tokens": [[3, 1, 2, 0, 0], [2, 0, 0, 0, 0]]}},
      "layers": [{{"type": "Embedding", "name": "emb", "input_dim": 4, "output_dim": 4, "mask_zero": true}},
                 {{"type": "MultiHeadAttention", "num_heads": 2, "key_dim": 3{},
                   "inputs": {{"query": "emb", "value": "emb"}}}},
                 {{"type": "Dense", "units": 2}}],
      "target": [[[1, 0], [0, 1], [1, 1], [0, 0], [0, 0]], [[0, 1], [0, 0], [0, 0], [0, 0], [0, 0]]],
      "loss": "mse"}})", path), "t");
    const auto g = compute_gradients(s, RunMode::masked, true);
    const RunRecord run = run_model(s, RunMode::masked, Detail::outputs);
    const Tensor& tokens = s.input;  // [B, T]
    const Tensor& d_emb = g->layers[0].output_gradient;  // [B, T, F]: query + key + value shares, summed
    const Tensor& d_mha = g->layers[1].output_gradient;  // [B, T, E]
    std::size_t padded = 0;
    for (std::size_t r = 0; r < tokens.size(); ++r) {
      if (tokens.values[r] != 0) continue;
      ++padded;
      for (std::size_t f = 0; f < 4; ++f) {
        EXPECT_EQ(d_emb.values[r * 4 + f], 0.0f) << "embedding output at padded position " << r;
        EXPECT_EQ(d_mha.values[r * 4 + f], 0.0f) << "attention output at padded query " << r;
      }
      if (!*path) {  // fused: the padded query's own output row is the mean of all values, not 0
        bool nonzero = false;
        for (std::size_t f = 0; f < 4; ++f) nonzero |= run.layers[1].output.values[r * 4 + f] != 0.0f;
        EXPECT_TRUE(nonzero) << "padded query " << r;
      }
    }
    EXPECT_EQ(padded, 6u);
    const Tensor& table = weight_grad(g->layers[0], "embeddings");
    for (std::size_t f = 0; f < 4; ++f) EXPECT_EQ(table.values[f], 0.0f) << "row 0";
    for (const LookupGradient& l : g->layers[0].lookups)
      if (l.token == 0)
        for (float v : l.contribution.values) EXPECT_EQ(v, 0.0f);
    for (const char* w : {"query_kernel", "key_kernel", "value_kernel", "output_kernel"}) {
      const Tensor& d = weight_grad(g->layers[1], w);
      EXPECT_TRUE(std::any_of(d.values.begin(), d.values.end(), [](float v) { return v != 0.0f; })) << w;
    }
    for (std::size_t f = 4; f < 16; ++f) EXPECT_NE(table.values[f], 0.0f) << "rows of valid tokens";
  }
}

// The same block with a residual Add([emb, mha]): MultiHeadAttention set emb's mask to None in place,
// so Add's output has no mask and the loss counts every position; now the padded positions reach the
// loss (through the residual and as queries) and row 0 gets a real gradient (attention-and-gradients.md §B.2).
TEST(PaddingRow, TheResidualThatLostTheMaskGivesRowZeroAGradient) {
  const Scenario s = load_scenario(R"({"seed": 8, "input": {"tokens": [[3, 1, 2, 0, 0], [2, 0, 0, 0, 0]]},
      "layers": [{"type": "Embedding", "name": "emb", "input_dim": 4, "output_dim": 4, "mask_zero": true},
                 {"type": "MultiHeadAttention", "name": "mha", "num_heads": 2, "key_dim": 3,
                  "inputs": {"query": "emb", "value": "emb"}},
                 {"type": "Add", "inputs": ["emb", "mha"]}, {"type": "LayerNormalization"},
                 {"type": "Dense", "units": 2}],
      "target": [[[1, 0], [0, 1], [1, 1], [0, 0], [0, 0]], [[0, 1], [0, 0], [0, 0], [0, 0], [0, 0]]],
      "loss": "mse"})", "t");
  const auto g = compute_gradients(s, RunMode::masked, false);
  EXPECT_FALSE(g->layers[4].output_mask.has_value());
  const Tensor& table = weight_grad(g->layers[0], "embeddings");
  EXPECT_TRUE(std::any_of(table.values.begin(), table.values.begin() + 4, [](float v) { return v != 0.0f; }));
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
