// Attention layers and graphs: Keras' own test numbers (multi_head_attention_test.py v3.15.1), a naive
// double-precision reference of MultiHeadAttention and LayerNormalization, and every new refusal with
// its JSON pointer.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cmath>

#include <fstream>

#include "analysis/attention_compare.h"
#include "core/errors.h"
#include "engine/engine.h"
#include "layers/attention_core.h"
#include "scenario/scenario.h"

namespace maskviz {
namespace {

Json identity_kernel(std::size_t n) {  // np.repeat(np.identity(n)[:, None, :], n, axis=1): k[a][b][c] = (a == c)
  Json k = Json::array();
  for (std::size_t a = 0; a < n; ++a) {
    Json plane = Json::array();
    for (std::size_t b = 0; b < n; ++b) {
      Json row = Json::array();
      for (std::size_t c = 0; c < n; ++c) row.push_back(a == c ? 1 : 0);
      plane.push_back(row);
    }
    k.push_back(plane);
  }
  return k;
}

// test_correctness (l.721-785): query = key = eye(8), value = arange(64)/100, identity kernels, zero biases.
TEST(KerasMultiHeadAttention, TestCorrectnessNumbers) {
  const std::size_t n = 8;
  Json eye = Json::array(), value = Json::array();
  for (std::size_t i = 0; i < n; ++i) {
    Json e = Json::array(), v = Json::array();
    for (std::size_t j = 0; j < n; ++j) {
      e.push_back(i == j ? 1 : 0);
      v.push_back(static_cast<double>(i * n + j) / 100.0);
    }
    eye.push_back(e);
    value.push_back(v);
  }
  Json zeros = Json::array();
  for (std::size_t i = 0; i < n; ++i) zeros.push_back(Json(std::vector<double>(n, 0.0)));
  const Json kernel = identity_kernel(n);
  Json scenario = {
      {"inputs", {{"q", {{"values", Json::array({eye})}}}, {"k", {{"values", Json::array({eye})}}},
                  {"v", {{"values", Json::array({value})}}}}},
      {"layers", Json::array({{{"type", "MultiHeadAttention"}, {"num_heads", n}, {"key_dim", n},
                               {"return_attention_scores", true},
                               {"inputs", {{"query", "q"}, {"value", "v"}, {"key", "k"}}},
                               {"weights", Json::array({kernel, zeros, kernel, zeros, kernel, zeros, kernel,
                                                        std::vector<double>(n, 0.0)})}}})}};
  const Scenario s = load_scenario(scenario.dump(), "test_correctness");
  const RunRecord run = run_model(s, RunMode::masked, Detail::full);
  const LayerRecord& mha = run.layers[0];
  const double expected[] = {2.406, 2.440, 2.473, 2.504, 2.535, 2.568, 2.602, 2.633};  // float16 in Keras, atol 1e-2
  const double float32[] = {2.407, 2.439, 2.472, 2.504, 2.536, 2.568, 2.601, 2.633};   // the float32 replay
  for (std::size_t t = 0; t < n; ++t)
    for (std::size_t e = 0; e < n; ++e) {
      EXPECT_NEAR(mha.output.values[t * n + e], expected[t], 1e-2) << "t=" << t;
      EXPECT_NEAR(mha.output.values[t * n + e], float32[t], 1e-3) << "t=" << t;
    }
  const auto* a = mha.as<AttentionRecord>();
  ASSERT_NE(a, nullptr);
  for (std::size_t h = 0; h < n; ++h)
    for (std::size_t t = 0; t < n; ++t)
      for (std::size_t s2 = 0; s2 < n; ++s2)
        EXPECT_NEAR(a->weights.values[(h * n + t) * n + s2], t == s2 ? 0.1691 : 0.1187, 1e-4);
}

// test_masking (l.449-473): Embedding masks give the same output as the same mask passed as attention_mask.
std::string masking_scenario(bool embedding_masks, bool causal) {
  const std::string mask = R"([[[1,1,0],[1,1,0],[1,1,0],[0,0,0],[0,0,0]],
                                [[1,0,0],[1,0,0],[1,0,0],[1,0,0],[1,0,0]],
                                [[1,1,1],[0,0,0],[0,0,0],[0,0,0],[0,0,0]]])";
  return fmt::format(R"({{"seed": 7, "inputs": {{"query": {{"tokens": [[1,2,3,0,0],[3,3,1,1,2],[1,0,0,0,0]]}},
      "value": {{"tokens": [[5,4,0],[3,0,0],[2,1,1]]}}}},
    "layers": [
      {{"type": "Embedding", "name": "eq", "input_dim": 4, "output_dim": 8, "mask_zero": {0}, "inputs": "query"}},
      {{"type": "Embedding", "name": "ev", "input_dim": 6, "output_dim": 8, "mask_zero": {0}, "inputs": "value"}},
      {{"type": "MultiHeadAttention", "num_heads": 2, "key_dim": 2, "use_causal_mask": {1},
       "inputs": {{"query": "eq", "value": "ev"}} {2}}}]}})",
                     embedding_masks, embedding_masks && causal,
                     embedding_masks ? "" : ", \"attention_mask\": " + (causal ? std::string(R"([[[1,0,0],[1,1,0],[1,1,0],[0,0,0],[0,0,0]],
                                [[1,0,0],[1,0,0],[1,0,0],[1,0,0],[1,0,0]],
                                [[1,0,0],[0,0,0],[0,0,0],[0,0,0],[0,0,0]]])") : mask));
}

TEST(KerasMultiHeadAttention, TestMaskingEmbeddingMasksEqualExplicitMask) {
  for (bool causal : {false, true}) {
    SCOPED_TRACE(causal ? "causal" : "not causal");
    const Scenario a = load_scenario(masking_scenario(true, causal), "embedding masks");
    const Scenario b = load_scenario(masking_scenario(false, causal), "attention_mask");
    const RunRecord ra = run_model(a, RunMode::masked, Detail::full);
    const RunRecord rb = run_model(b, RunMode::masked, Detail::full);
    const auto* ma = ra.layers[2].as<AttentionRecord>();
    const auto* mb = rb.layers[2].as<AttentionRecord>();
    ASSERT_TRUE(ma && mb && ma->combined_mask && mb->combined_mask);
    EXPECT_EQ(*ma->combined_mask, *mb->combined_mask);
    ASSERT_EQ(ra.layers[2].output.size(), rb.layers[2].output.size());
    for (std::size_t i = 0; i < ra.layers[2].output.size(); ++i)
      EXPECT_NEAR(ra.layers[2].output.values[i], rb.layers[2].output.values[i], 1e-6) << i;
  }
}

// ---- A naive double-precision MultiHeadAttention (equations 1-8 of multi_head_attention.cpp) ----------
std::vector<double> naive_mha(const Tensor& xq, const Tensor& xv, const LayerRecord& layer, std::size_t N,
                              std::size_t H, const std::vector<std::uint8_t>* mask) {
  auto w = [&](const char* name) -> const Tensor& {
    for (const auto& x : layer.weights) if (x.name == name) return x.value;
    throw std::logic_error(name);
  };
  const std::size_t B = xq.dim(0), T = xq.dim(1), S = xv.dim(1), D = xq.dim(2), E = layer.output.dim(2);
  auto proj = [&](const Tensor& x, const char* k, const char* b, std::size_t steps) {
    std::vector<double> out(B * steps * N * H);
    for (std::size_t i = 0; i < B * steps; ++i)
      for (std::size_t c = 0; c < N * H; ++c) {
        double sum = w(b).values[c];
        for (std::size_t d = 0; d < D; ++d) sum += double(x.values[i * D + d]) * w(k).values[d * N * H + c];
        out[i * N * H + c] = sum;
      }
    return out;
  };
  const auto Q = proj(xq, "query_kernel", "query_bias", T), K = proj(xv, "key_kernel", "key_bias", S),
             V = proj(xv, "value_kernel", "value_bias", S);
  std::vector<double> y(B * T * E);
  for (std::size_t b = 0; b < B; ++b)
    for (std::size_t t = 0; t < T; ++t) {
      std::vector<double> o(N * H, 0.0);
      for (std::size_t n = 0; n < N; ++n) {
        std::vector<double> L(S);
        double max = -1e300, sum = 0;
        for (std::size_t s = 0; s < S; ++s) {
          double dot = 0;
          for (std::size_t h = 0; h < H; ++h) dot += Q[((b * T + t) * N + n) * H + h] * K[((b * S + s) * N + n) * H + h];
          L[s] = (mask && !(*mask)[(b * T + t) * S + s]) ? -2.3726709e38 : dot / std::sqrt(double(H));
          max = std::max(max, L[s]);
        }
        for (std::size_t s = 0; s < S; ++s) sum += (L[s] = std::exp(L[s] - max));
        for (std::size_t s = 0; s < S; ++s)
          for (std::size_t h = 0; h < H; ++h) o[n * H + h] += L[s] / sum * V[((b * S + s) * N + n) * H + h];
      }
      for (std::size_t e = 0; e < E; ++e) {
        double sum = w("output_bias").values[e];
        for (std::size_t c = 0; c < N * H; ++c) sum += o[c] * w("output_kernel").values[c * E + e];
        y[(b * T + t) * E + e] = sum;
      }
    }
  return y;
}

TEST(MultiHeadAttention, EqualsANaiveDoubleReferenceWithCausalAndPadding) {
  const Scenario s = load_scenario(R"({"seed": 3, "input": {"tokens": [[3, 1, 5, 2, 0, 0], [4, 2, 0, 0, 0, 0]]},
    "layers": [{"type": "Embedding", "input_dim": 6, "output_dim": 12, "mask_zero": true},
               {"type": "MultiHeadAttention", "num_heads": 3, "key_dim": 4, "use_causal_mask": true,
                "inputs": {"query": "embedding", "value": "embedding"}}]})", "naive");
  const RunRecord run = run_model(s, RunMode::masked, Detail::full);
  const auto* a = run.layers[1].as<AttentionRecord>();
  ASSERT_NE(a, nullptr);
  const auto want = naive_mha(run.layers[0].output, run.layers[0].output, run.layers[1], 3, 4, &*a->combined_mask);
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(run.layers[1].output.values[i], want[i], 1e-5) << i;
  EXPECT_EQ(run.layers[1].output_mask, run.layers[0].output_mask);  // the query's
}

// At detail outputs MultiHeadAttention keeps no [B, N, T, S] map (a recurrent layer keeps no steps there): each
// (sequence, head) block goes through one scratch instead, with the same arithmetic in the same order, so
// the output is the same bits as at full; the masks and the fully masked rows are still recorded.
TEST(MultiHeadAttention, DetailOutputsKeepsNoMapAndTheSameOutput) {
  for (const char* path : {"", R"(, "dropout": 0.1)"}) {  // fused, then explicit softmax path
    const Scenario s = load_scenario(fmt::format(R"({{"seed": 3, "input": {{"tokens": [[3, 1, 5, 2, 0, 0], [4, 2, 0, 0, 0, 0]]}},
      "layers": [{{"type": "Embedding", "input_dim": 6, "output_dim": 12, "mask_zero": true}},
                 {{"type": "MultiHeadAttention", "num_heads": 3, "key_dim": 4, "use_causal_mask": true{},
                  "inputs": {{"query": "embedding", "value": "embedding"}}}}]}})", path), "outputs");
    const RunRecord full = run_model(s, RunMode::masked, Detail::full);
    const RunRecord outputs = run_model(s, RunMode::masked, Detail::outputs);
    EXPECT_EQ(outputs.layers[1].output.values, full.layers[1].output.values) << path;
    const auto* a = outputs.layers[1].as<AttentionRecord>();
    ASSERT_NE(a, nullptr);
    EXPECT_TRUE(a->scores.values.empty());
    EXPECT_TRUE(a->weights.values.empty());
    EXPECT_EQ(a->combined_mask, full.layers[1].as<AttentionRecord>()->combined_mask);
    EXPECT_EQ(a->fully_masked_rows, full.layers[1].as<AttentionRecord>()->fully_masked_rows);
    EXPECT_FALSE(full.layers[1].as<AttentionRecord>()->weights.values.empty());
    EXPECT_LT(s.layers[1]->record_floats(Detail::outputs), s.layers[1]->record_floats(Detail::steps));
  }
}

// LayerNormalization by hand: x = [1, 2, 3, 6], μ = 3, σ² = (4 + 1 + 0 + 9) / 4 = 3.5, y = (x - μ)/√(3.5 + 1e-3).
TEST(LayerNormalization, NormalizesEachRowWithBiasedVariance) {
  const Scenario s = load_scenario(R"({"input": {"values": [[[1, 2, 3, 6]]]},
    "layers": [{"type": "LayerNormalization"}]})", "ln");
  const RunRecord run = run_model(s, RunMode::masked, Detail::full);
  const double sd = std::sqrt(3.5 + 1e-3);
  const double want[] = {-2 / sd, -1 / sd, 0, 3 / sd};
  for (std::size_t i = 0; i < 4; ++i) EXPECT_NEAR(run.layers[0].output.values[i], want[i], 1e-6);
}

// The residual gotcha of the semantics (§A.4): Add runs after MultiHeadAttention cleared the
// embedding's mask, so its output and the loss are unmasked.
TEST(Graphs, ResidualAddLosesTheMaskAfterMultiHeadAttention) {
  const Scenario s = load_scenario(R"({"seed": 1, "input": {"tokens": [[3, 1, 5, 2, 0], [4, 2, 0, 0, 0]]},
    "layers": [{"type": "Embedding", "name": "emb", "input_dim": 6, "output_dim": 4, "mask_zero": true},
               {"type": "MultiHeadAttention", "name": "mha", "num_heads": 2, "key_dim": 2,
                "inputs": {"query": "emb", "value": "emb"}},
               {"type": "Add", "name": "residual", "inputs": ["emb", "mha"]},
               {"type": "LayerNormalization", "name": "norm"},
               {"type": "Dense", "units": 1}],
    "target": [[[0], [0], [0], [0], [0]], [[0], [0], [0], [0], [0]]], "loss": "mse"})", "residual");
  const RunRecord run = run_model(s, RunMode::masked, Detail::full);
  EXPECT_EQ(run.execution_order, (std::vector<std::size_t>{0, 1, 2, 3, 4}));
  const LayerRecord& add = run.layers[2];
  ASSERT_EQ(add.input_masks.size(), 2u);
  EXPECT_FALSE(add.input_masks[0].has_value());  // cleared by mha
  EXPECT_EQ(add.input_masks_cleared_by, (std::vector<std::string>{"mha", ""}));
  EXPECT_TRUE(add.input_masks[1].has_value());   // mha's output carries the query mask
  EXPECT_FALSE(add.output_mask.has_value());
  ASSERT_TRUE(run.loss.has_value());
  EXPECT_FALSE(run.loss->mask.has_value());
  EXPECT_EQ(run.loss->valid, 10u);
}

// diff's attention rows: in 15a every row differs (the unmasked run has no mask); the 4 fully masked
// query rows of the masked run, in each of 2 heads, are 8 of them.
TEST(AttentionCompare, CountsTheRowsWhereTheRunsPart) {
  std::ifstream in(std::string(MASKVIZ_SOURCE_DIR) + "/scenarios/16a-attention-padding.json");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const Scenario s = load_scenario(text, "15a");
  const Trace trace = run_both(s, Detail::full);
  const AttentionDiff d = compare_attention(trace.masked.layers[1], trace.unmasked.layers[1]);
  EXPECT_EQ(d.total_rows, 20u);
  EXPECT_EQ(d.rows.size(), 20u);
  EXPECT_EQ(std::count_if(d.rows.begin(), d.rows.end(), [](const AttentionRowDiff& r) { return r.fully_masked; }), 8);
  EXPECT_TRUE(compare_attention(trace.masked.layers[0], trace.unmasked.layers[0]).rows.empty());  // Embedding
}

// Softmax with a mask lines it up from the right: with B = 1 a [1, 3] mask on [1, 3, 3] masks the
// last axis (features), as Keras' Softmax.call does; feature 2 (token 0's position) gets 0, the others
// a softmax over two entries: for embedding row [a, b, c], y = [e^a, e^b] / (e^a + e^b).
TEST(Softmax, AMaskLinesUpFromTheRight) {
  const Scenario s = load_scenario(R"({"input": {"tokens": [[1, 2, 0]]},
    "layers": [{"type": "Embedding", "input_dim": 3, "output_dim": 3, "mask_zero": true,
                "weights": {"embeddings": [[0, 0, 0], [1, 2, 3], [0.5, -0.5, 9]]}},
               {"type": "Softmax"}]})", "softmax");
  const RunRecord run = run_model(s, RunMode::masked, Detail::full);
  const Tensor& y = run.layers[1].output;  // [1, 3, 3]
  const double e1 = std::exp(1.0), e2 = std::exp(2.0);
  EXPECT_NEAR(y.values[0], e1 / (e1 + e2), 1e-6);
  EXPECT_NEAR(y.values[1], e2 / (e1 + e2), 1e-6);
  EXPECT_EQ(y.values[2], 0.0f);
  EXPECT_EQ(y.values[8], 0.0f);  // t=2: padding, still normalised over its features; feature 2 masked
  const RunRecord plain = run_model(s, RunMode::unmasked, Detail::full);
  EXPECT_NEAR(plain.layers[1].output.values[2], std::exp(3.0) / (e1 + e2 + std::exp(3.0)), 1e-6);
}

// Attention(score_mode="concat") by hand, no masks: q = [1, 0]; keys (= values) [0, 0] and [1, 1].
// L0 = tanh(1) + tanh(0) = 0.76159, L1 = tanh(2) + tanh(1) = 1.72564; P = softmax(L); y = P1 · [1, 1].
TEST(AttentionLayer, ConcatScoresByHand) {
  const Scenario s = load_scenario(R"({"inputs": {"q": {"values": [[[1, 0]]]}, "v": {"values": [[[0, 0], [1, 1]]]}},
    "layers": [{"type": "Attention", "score_mode": "concat", "inputs": ["q", "v"]}]})", "concat");
  const RunRecord run = run_model(s, RunMode::masked, Detail::full);
  const double L0 = std::tanh(1.0), L1 = std::tanh(2.0) + std::tanh(1.0);
  const double p1 = std::exp(L1) / (std::exp(L0) + std::exp(L1));
  EXPECT_NEAR(run.layers[0].output.values[0], p1, 1e-6);
  EXPECT_NEAR(run.layers[0].output.values[1], p1, 1e-6);
  const auto* a = run.layers[0].as<AttentionRecord>();
  ASSERT_NE(a, nullptr);
  EXPECT_NEAR(a->scores.values[1], L1, 1e-6);
  EXPECT_FALSE(a->combined_mask.has_value());
}

// Concatenate's mask: an input without a mask counts as all True, so the OR keeps every step;
// Add's: none as soon as one input has none.
TEST(Merges, ConcatenateCountsAnUnmaskedInputAsAllTrueAddDropsTheMask) {
  const std::string layers = R"("layers": [
      {"type": "Embedding", "name": "masked", "input_dim": 4, "output_dim": 2, "mask_zero": true, "inputs": "a"},
      {"type": "Embedding", "name": "plain", "input_dim": 4, "output_dim": 2, "inputs": "a"},
      {"type": "Concatenate", "name": "cat", "inputs": ["masked", "plain"]},
      {"type": "Add", "name": "add", "inputs": ["masked", "plain"]},
      {"type": "Concatenate", "name": "out", "inputs": ["cat", "add"]}])";
  const Scenario s = load_scenario(R"({"inputs": {"a": {"tokens": [[1, 0, 2]]}}, )" + layers + "}", "merges");
  const RunRecord run = run_model(s, RunMode::masked, Detail::full);
  ASSERT_TRUE(run.layers[2].output_mask.has_value());
  EXPECT_EQ(run.layers[2].output_mask->valid_count(), 3u);  // OR with all True
  EXPECT_EQ(run.layers[2].output.shape, (Shape{1, 3, 4}));
  EXPECT_FALSE(run.layers[3].output_mask.has_value());
  EXPECT_EQ(run.layers[3].mask_action, MaskAction::merged);
}

// ---- Refusals ----------------------------------------------------------------------------------------
std::pair<std::string, std::string> refusal(const std::string& layers, const std::string& input =
                                                R"("input": {"tokens": [[1, 2, 0], [1, 0, 0]]})") {
  try {
    load_scenario(fmt::format(R"({{{}, "layers": [{}]}})", input, layers), "t.json");
  } catch (const ScenarioError& e) {
    return {e.pointer(), e.what()};
  }
  return {"(loaded)", ""};
}

const std::string kEmb = R"({"type": "Embedding", "name": "emb", "input_dim": 4, "output_dim": 4, "mask_zero": true})";

TEST(GraphRefusals, EveryNewFieldNamesItsPointer) {
  const struct {
    std::string layers, pointer, phrase;
  } cases[] = {
      {kEmb + R"(, {"type": "Dense", "units": 1, "inputs": "embb"})", "/layers/1/inputs", "no model input or earlier layer is named \"embb\""},
      {kEmb + R"(, {"type": "Dense", "units": 1, "inputs": "later"}, {"type": "Dense", "name": "later", "units": 1})",
       "/layers/1/inputs", "read before it is defined"},
      {kEmb + R"(, {"type": "Dense", "name": "self", "units": 1, "inputs": "self"})", "/layers/1/inputs", "read before it is defined"},
      {kEmb + R"(, {"type": "Dense", "name": "a", "units": 2}, {"type": "Dense", "units": 1, "inputs": "emb"})",
       "/layers/1", "dangling branch"},
      {kEmb + R"(, {"type": "MultiHeadAttention", "num_heads": 0, "key_dim": 2, "inputs": {"query": "emb", "value": "emb"}})",
       "/layers/1/num_heads", "out of range"},
      {kEmb + R"(, {"type": "MultiHeadAttention", "num_heads": 2, "key_dim": 0, "inputs": {"query": "emb", "value": "emb"}})",
       "/layers/1/key_dim", "out of range"},
      {kEmb + R"(, {"type": "MultiHeadAttention", "num_heads": 2, "key_dim": 2, "inputs": ["emb", "emb"]})",
       "/layers/1/inputs", "(a JSON object), got an array"},
      {kEmb + R"(, {"type": "MultiHeadAttention", "num_heads": 2, "key_dim": 2, "inputs": {"query": "emb"}})",
       "/layers/1/inputs/value", "missing required field"},
      {kEmb + R"(, {"type": "MultiHeadAttention", "num_heads": 2, "key_dim": 2, "inputs": {"query": "emb", "value": "emb"},
          "attention_mask": [[1, 0], [1, 1]]})", "/layers/1/attention_mask", "wrong shape"},
      {kEmb + R"(, {"type": "MultiHeadAttention", "num_heads": 2, "key_dim": 2, "inputs": {"query": "emb", "value": "emb"},
          "attention_mask": [[1, 0, 0], [1, 1, 0], [1, 1, 0.5]]})", "/layers/1/attention_mask/2/2", "true/false or 0/1"},
      {kEmb + R"(, {"type": "MultiHeadAttention", "num_heads": 1, "key_dim": 2, "inputs": {"query": "emb", "value": "emb"},
          "weights": {"query_kernel": [[[1, 0]], [[1, 0]], [[1, 0]]]}})", "/layers/1/weights/query_kernel", "expected"},
      {kEmb + R"(, {"type": "Dense", "name": "d", "units": 3}, {"type": "Add", "inputs": ["emb", "d"]})",
       "/layers/2/inputs/1", "cannot add shapes"},
      {kEmb + R"(, {"type": "Add", "inputs": ["emb"]})", "/layers/1/inputs", "a list of two or more names"},
      {kEmb + R"(, {"type": "Concatenate", "axis": 1, "inputs": ["emb", "emb"]})", "/layers/1/axis", "last axis"},
      {kEmb + R"(, {"type": "Softmax"})", "/layers/1", "Keras raises ValueError"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.layers);
    const auto [pointer, message] = refusal(c.layers);
    EXPECT_EQ(pointer, c.pointer) << message;
    EXPECT_NE(message.find(c.phrase), std::string::npos) << message;
  }
}

TEST(GraphRefusals, NamedModelInputs) {
  auto r = refusal(kEmb, R"("inputs": {"a": {"tokens": [[1, 2]]}, "b": {"tokens": [[1, 2, 3]]}})");
  EXPECT_EQ(r.first, "/inputs/b");  // read by nothing (emb reads the first input, "a")
  r = refusal(kEmb, R"("inputs": {"a": {"tokens": [[1, 2]]}, "b": {"tokens": [[1], [2]]}})");
  EXPECT_EQ(r.first, "/inputs/b");
  EXPECT_NE(r.second.find("batch size"), std::string::npos) << r.second;
  r = refusal(kEmb, R"("input": {"tokens": [[1]]}, "inputs": {"a": {"tokens": [[1]]}})");
  EXPECT_EQ(r.first, "/inputs");
}


// Detail full records the projections. By hand, x = [[1, 2], [3, 4]] (B=1, T=S=2, D=2), N=2 heads of
// key_dim 1: query_kernel[d][n][0] = [[1, 10], [100, 1000]], query_bias = [[0.5], [0.25]], so
//   Q[t=0, n=0] = 1·1 + 2·100 = 201,  + 0.5  = 201.5      Q[t=0, n=1] = 1·10 + 2·1000 = 2010, + 0.25 = 2010.25
//   Q[t=1, n=0] = 3·1 + 4·100 = 403,  + 0.5  = 403.5      Q[t=1, n=1] = 3·10 + 4·1000 = 4030, + 0.25 = 4030.25
// Without a key tensor, K projects the value (Keras: key = value).
TEST(MultiHeadAttention, DetailFullRecordsEachProjectionWithItsOperandProductAndResult) {
  const std::string text = R"({"inputs": {"x": {"values": [[[1, 2], [3, 4]]]}},
    "layers": [{"type": "MultiHeadAttention", "name": "mha", "num_heads": 2, "key_dim": 1,
                "inputs": {"query": "x", "value": "x"},
                "weights": [[[[1], [10]], [[100], [1000]]], [[0.5], [0.25]],
                            [[[0], [1]], [[1], [0]]], [[0], [0]],
                            [[[1], [0]], [[0], [1]]], [[1], [2]],
                            [[[1, 0]], [[0, 1]]], [0, 0]]}]})";
  const Scenario s = load_scenario(text, "projections");
  const RunRecord run = run_model(s, RunMode::masked, Detail::full);
  const auto* a = run.layers[0].as<AttentionRecord>();
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->projections.size(), 3u);
  const AttentionProjection& q = a->projections[0];
  EXPECT_EQ(q.symbol, "Q");
  EXPECT_EQ(q.input, "query");
  EXPECT_EQ(q.kernel, "query_kernel");
  EXPECT_EQ(q.bias, "query_bias");
  EXPECT_EQ(q.operand.values, (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(q.product.shape, (Shape{1, 2, 2, 1}));
  EXPECT_EQ(q.product.values, (std::vector<float>{201, 2010, 403, 4030}));
  EXPECT_EQ(q.result.values, (std::vector<float>{201.5f, 2010.25f, 403.5f, 4030.25f}));
  EXPECT_EQ(a->projections[1].symbol, "K");
  EXPECT_EQ(a->projections[1].input, "value");  // no key given: K projects the value
  EXPECT_EQ(a->projections[1].result.values, (std::vector<float>{2, 1, 4, 3}));  // head 0 reads x[1], head 1 x[0]
  EXPECT_EQ(a->projections[2].symbol, "V");
  EXPECT_EQ(a->projections[2].result.values, (std::vector<float>{2, 4, 4, 6}));  // x[0] + 1, x[1] + 2
  // The weighted sum reads these: head 0 at t=0 scores Q·K = 201.5·2 = 403 and 201.5·4 = 806; exp(-403)
  // is 0 in float32, so P = [0, 1] and O = V[s=1, head 0] = 4 exactly.
  EXPECT_EQ(a->context.values[0], 4.0f);

  const RunRecord steps = run_model(s, RunMode::masked, Detail::steps);
  EXPECT_TRUE(steps.layers[0].as<AttentionRecord>()->projections.empty());  // full only
}

// A softmax row does not depend on where the record's buffers lie: its exp and sum run in an aligned
// scratch row. (Run in place, an unaligned row moved the vector packets' boundaries, and with them which
// elements took the vectorised exp and the order of the sum: the last bit of a weight followed malloc.)
TEST(AttentionCore, ASoftmaxRowIsTheSameWhereverTheRowLies) {
  constexpr std::size_t S = 37;
  AttentionRecord a;
  a.path = AttentionRecord::Path::fused;
  a.mask_constant = kFusedMaskConstant;
  a.key_steps = S;
  std::vector<float> scores(S);
  std::vector<std::uint8_t> mask(S);
  for (std::size_t s = 0; s < S; ++s) {
    scores[s] = std::sin(0.7f * static_cast<float>(s)) * 3.0f;
    mask[s] = s % 5 != 3;
  }
  Eigen::ArrayXf scratch;
  std::vector<float> want(S);
  masked_softmax_row(a, scores.data(), mask.data(), want.data(), scratch);
  for (std::size_t offset = 1; offset < 16; ++offset) {
    std::vector<float> in(S + 16), out(S + 16);
    std::copy(scores.begin(), scores.end(), in.begin() + static_cast<std::ptrdiff_t>(offset));
    masked_softmax_row(a, in.data() + offset, mask.data(), out.data() + offset, scratch);
    for (std::size_t s = 0; s < S; ++s) EXPECT_EQ(out[offset + s], want[s]) << "offset " << offset << " s " << s;
  }
}

}  // namespace
}  // namespace maskviz
