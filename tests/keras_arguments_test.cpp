// Keras arguments from a pasted config: accepted and named in a note when they change nothing at
// inference (dropout) or only how a weight is drawn (the initializer names); refused with Keras' own
// reason when Keras 3 refuses them (input_length, from_logits on mse/mae).
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <string>

#include "core/errors.h"
#include "engine/engine.h"
#include "scenario/scenario.h"

namespace maskviz {
namespace {

Scenario load(const std::string& json) { return load_scenario(json, "keras_arguments_test"); }

std::string error_of(const std::string& json) {
  try {
    load(json);
  } catch (const ScenarioError& e) {
    return e.pointer() + ": " + e.what();
  }
  return "(accepted)";
}

std::string all_notes(const LayerRecord& record) {
  std::string text;
  for (const auto& note : record.notes) text += note + "\n";
  return text;
}

const std::string kTokens = R"("input": {"tokens": [[1, 2, 0]]}, "seed": 5,)";
const std::string kEmbedding = R"({"type": "Embedding", "input_dim": 3, "output_dim": 4, "mask_zero": true})";

TEST(KerasArguments, RecurrentDropoutIsAcceptedChangesNothingAndIsNamed) {
  const Scenario plain = load("{" + kTokens + R"("layers": [)" + kEmbedding + R"(, {"type": "LSTM", "units": 3}]})");
  const Scenario with = load("{" + kTokens + R"("layers": [)" + kEmbedding +
                             R"(, {"type": "LSTM", "units": 3, "dropout": 0.2, "recurrent_dropout": 0.5}]})");
  const RunRecord a = run_model(plain, RunMode::masked, Detail::full);
  const RunRecord b = run_model(with, RunMode::masked, Detail::full);
  EXPECT_EQ(a.layers[1].output.values, b.layers[1].output.values);
  EXPECT_NE(all_notes(b.layers[1]).find("dropout=0.2, recurrent_dropout=0.5: Keras applies them in training only"),
            std::string::npos) << all_notes(b.layers[1]);
  EXPECT_NE(error_of("{" + kTokens + R"("layers": [)" + kEmbedding + R"(, {"type": "GRU", "units": 3, "dropout": 2}]})"),
            "(accepted)");
}

TEST(KerasArguments, DropoutRateOneIsTheIdentityAtInference) {
  const Scenario s = load(R"({"input": {"values": [[[1, -2]]]}, "layers": [{"type": "Dropout", "rate": 1}]})");
  const RunRecord r = run_model(s, RunMode::masked, Detail::full);
  EXPECT_EQ(r.layers[0].output.values, (std::vector<float>{1, -2}));
}

// he_uniform: U(-limit, limit) with limit = sqrt(6 / fan_in) = sqrt(6 / 40) = 0.3873 for a [40, 300] kernel.
TEST(KerasArguments, InitializerNamesDrawFromTheirDistribution) {
  const Scenario s = load(R"({"input": {"values": [[[1, 2]]]}, "seed": 3, "layers": [
      {"type": "Dense", "units": 40, "kernel_initializer": "zeros", "bias_initializer": "ones"},
      {"type": "Dense", "units": 300, "kernel_initializer": "he_uniform"},
      {"type": "Dense", "units": 300, "kernel_initializer": "random_normal"},
      {"type": "Dense", "units": 300, "kernel_initializer": "glorot_normal"}]})");
  EXPECT_EQ(s.layers[0]->weight("kernel").values, std::vector<float>(80, 0.0f));
  EXPECT_EQ(s.layers[0]->weight("bias").values, std::vector<float>(40, 1.0f));
  const auto& he = s.layers[1]->weight("kernel").values;
  const float limit = std::sqrt(6.0f / 40.0f);
  float widest = 0;
  for (float x : he) widest = std::max(widest, std::fabs(x));
  EXPECT_LE(widest, limit);
  EXPECT_GT(widest, 0.95f * limit);  // 12000 draws reach the edge
  // random_normal: mean 0, stddev 0.05; 90000 draws put the sample's within 1% of it.
  const auto& normal = s.layers[2]->weight("kernel").values;
  const double mean = std::accumulate(normal.begin(), normal.end(), 0.0) / normal.size();
  double var = 0;
  for (float x : normal) var += (x - mean) * (x - mean);
  EXPECT_NEAR(mean, 0.0, 0.001);
  EXPECT_NEAR(std::sqrt(var / normal.size()), 0.05, 0.0005);
  // glorot_normal: truncated at two stddevs, stddev = sqrt(1 / fan_avg) / 0.8796 = sqrt(2 / 600) / 0.8796.
  const float stddev = std::sqrt(2.0f / 600.0f) / 0.87962566f;
  for (float x : s.layers[3]->weight("kernel").values) ASSERT_LE(std::fabs(x), 2 * stddev + 1e-6f);
  const RunRecord r = run_model(s, RunMode::masked, Detail::outputs);
  EXPECT_NE(all_notes(r.layers[1]).find("kernel_initializer=\"he_uniform\": used to draw kernel"), std::string::npos);
}

// A Bidirectional's wrapped layer carries its initializers into both halves, as Keras builds the backward
// copy from the wrapped layer's config: zeros for every kernel and ones for the bias make each half's
// weights exactly those constants, and the note names the argument once, on the Bidirectional.
TEST(KerasArguments, InitializerNamesInsideABidirectionalApplyToBothHalves) {
  const Scenario s = load(R"({"input": {"values": [[[1, 2]]]}, "seed": 3, "layers": [
      {"type": "Bidirectional", "layer": {"type": "GRU", "units": 2, "kernel_initializer": "zeros",
       "recurrent_initializer": "zeros", "bias_initializer": "ones"}}]})");
  for (const char* half : {"forward/", "backward/"}) {
    const std::string prefix = half;
    EXPECT_EQ(s.layers[0]->weight(prefix + "kernel").values, std::vector<float>(12, 0.0f)) << half;
    EXPECT_EQ(s.layers[0]->weight(prefix + "recurrent_kernel").values, std::vector<float>(12, 0.0f)) << half;
    EXPECT_EQ(s.layers[0]->weight(prefix + "bias").values, std::vector<float>(12, 1.0f)) << half;
  }
  const RunRecord r = run_model(s, RunMode::masked, Detail::outputs);
  const std::string notes = all_notes(r.layers[0]);
  EXPECT_NE(notes.find("bias_initializer=\"ones\": used to draw bias"), std::string::npos) << notes;
  EXPECT_EQ(notes.find("bias_initializer"), notes.rfind("bias_initializer")) << notes;
  EXPECT_NE(error_of(R"({"input": {"values": [[[1, 2]]]}, "layers": [{"type": "Bidirectional",
                        "layer": {"type": "LSTM", "units": 2, "kernel_initializer": "he_unifrom"}}]})")
                .find("/layers/0/layer/kernel_initializer: unknown value \"he_unifrom\""),
            std::string::npos);
}

TEST(KerasArguments, UnknownInitializerNameIsRefused) {
  EXPECT_NE(error_of(R"({"input": {"values": [[[1]]]}, "layers": [{"type": "Dense", "units": 2,
                        "kernel_initializer": "he_unifrom"}]})")
                .find("/layers/0/kernel_initializer: unknown value \"he_unifrom\"; did you mean \"he_uniform\"?"),
            std::string::npos);
}

TEST(KerasArguments, InputLengthSaysKeras3RemovedIt) {
  const std::string error = error_of("{" + kTokens + R"("layers": [{"type": "Embedding", "input_dim": 3,
                                     "output_dim": 4, "input_length": 3}]})");
  EXPECT_NE(error.find("/layers/0/input_length: input_length is a Keras 2 argument that Keras 3 removed"),
            std::string::npos) << error;
}

TEST(KerasArguments, FromLogitsOnMseOrMaeIsRefusedAsKerasRefusesIt) {
  for (const std::string loss : {"mse", "mae"}) {
    const std::string error = error_of(R"({"input": {"values": [[[1]]]}, "layers": [{"type": "Dense", "units": 1}],
        "target": [[1]], "loss": {"name": ")" + loss + R"(", "from_logits": false}})");
    EXPECT_NE(error.find("/loss/from_logits: " + loss + " takes no from_logits"), std::string::npos) << error;
  }
}

}  // namespace
}  // namespace maskviz

namespace maskviz {
namespace {

// Flatten then Dense(1) gives [2, 1]; a target [2] is expanded to [2, 1]: the same loss as [[1], [0]].
TEST(TargetRank, ARankOneTargetIsExpandedAsKerasDoes) {
  const std::string layers = R"("input": {"values": [[[1], [2]], [[3], [4]]]}, "seed": 2,
      "layers": [{"type": "Flatten"}, {"type": "Dense", "units": 1}], "loss": "mse", )";
  const Scenario short_target = load("{" + layers + R"("target": [1, 0]})");
  const Scenario full_target = load("{" + layers + R"("target": [[1], [0]]})");
  const RunRecord a = run_model(short_target, RunMode::masked, Detail::full);
  const RunRecord b = run_model(full_target, RunMode::masked, Detail::full);
  EXPECT_EQ(a.loss->terms, b.loss->terms);
  EXPECT_EQ(a.loss->value, b.loss->value);
}

// Embedding [[5], [1], [2]] and Dense(1) = identity: the output is [[[1], [2], [5]]] for tokens [1, 2, 0].
// Against a target [[1, 1, 1]] Keras squeezes the output to [1, 3], so the one term is the mean over the
// whole sequence, padded step included: (0² + 1² + 4²) / 3 = 17/3, and the mask changes nothing. With the
// target [[[1], [1], [1]]] the padded step is masked: (0² + 1²) / 2 = 0.5.
TEST(TargetRank, ATargetOneAxisShortSqueezesTheOutputAndAveragesOverTime) {
  const std::string layers = R"("input": {"tokens": [[1, 2, 0]]},
      "layers": [{"type": "Embedding", "input_dim": 3, "output_dim": 1, "mask_zero": true,
                  "weights": {"embeddings": [[5], [1], [2]]}},
                 {"type": "Dense", "units": 1, "weights": {"kernel": [[1]], "bias": [0]}}], "loss": "mse", )";
  const RunRecord squeezed = run_model(load("{" + layers + R"("target": [[1, 1, 1]]})"), RunMode::masked, Detail::full);
  EXPECT_EQ(squeezed.loss->terms_shape, (Shape{1}));
  EXPECT_NEAR(squeezed.loss->value, 17.0f / 3.0f, 1e-6);
  ASSERT_FALSE(squeezed.loss->warnings.empty());
  EXPECT_NE(squeezed.loss->warnings.back().find("Keras squeezes the output to [1, 3]"), std::string::npos);
  const RunRecord full = run_model(load("{" + layers + R"("target": [[[1], [1], [1]]]})"), RunMode::masked, Detail::full);
  EXPECT_NEAR(full.loss->value, 0.5f, 1e-6);
}

}  // namespace
}  // namespace maskviz
