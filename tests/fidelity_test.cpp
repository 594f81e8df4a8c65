// Issue 10's fidelity and wording items, each pinned where a user meets it: the numbers from the engine,
// the words from the CLI. The derivations are in the comments, to check by hand.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "cli_run.h"
#include "core/errors.h"
#include "engine/engine.h"
#include "scenario/scenario.h"

namespace maskviz {
namespace {

using testing::CliResult;
using testing::CliRun;
using testing::run_cli;

struct Ran {
  Scenario scenario;
  RunRecord masked, unmasked;
};

Ran run(const std::string& json) {
  Ran r{load_scenario(json, "fidelity_test"), {}, {}};
  r.masked = run_model(r.scenario, RunMode::masked, Detail::full);
  r.unmasked = run_model(r.scenario, RunMode::unmasked, Detail::full);
  return r;
}

CliResult cli_stdin(std::vector<std::string> args, const std::string& scenario) {
  CliRun run;
  run.args = std::move(args);
  run.env = {{"NO_COLOR", "1"}};
  run.stdin_text = scenario;
  return run_cli(run);
}

std::string error_of(const std::string& json) {
  try {
    load_scenario(json, "fidelity_test");
  } catch (const ScenarioError& e) {
    return e.pointer() + ": " + e.what();
  }
  return "(accepted)";
}

// Token 0 looks up -1; Dense(2, relu) with kernel [[1, 1]] gives relu(-1) = [0, 0] at the padded step:
// categorical crossentropy divides by Σŷ = 0, so its term is NaN, and Keras' NaN · 0 = NaN makes the
// masked loss NaN. The valid step's term is -log(1/2) = 0.6931.
const char* kZeroRow = R"({"input": {"tokens": [[1, 0]]},
  "layers": [{"type": "Embedding", "input_dim": 2, "output_dim": 1, "mask_zero": true,
              "weights": {"embeddings": [[-1], [1]]}},
             {"type": "Dense", "units": 2, "activation": "relu", "weights": {"kernel": [[1, 1]], "bias": [0, 0]}}],
  "target": [[[1, 0], [1, 0]]], "loss": "categorical_crossentropy"})";

TEST(NonFiniteMaskedTerm, AllZeroRowMakesTheMaskedCrossentropyNaNAsInKeras) {
  const Ran r = run(kZeroRow);
  ASSERT_TRUE(r.masked.loss);
  EXPECT_NEAR(r.masked.loss->terms[0], std::log(2.0f), 1e-6);
  EXPECT_TRUE(std::isnan(r.masked.loss->terms[1]));
  EXPECT_EQ(r.masked.loss->weights[1], 0.0f);
  EXPECT_TRUE(std::isnan(r.masked.loss->value)) << r.masked.loss->value;
  EXPECT_TRUE(std::isnan(r.unmasked.loss->value));
}

// Token 0 looks up 2e19 and Dense(1) passes it on: (2e19 - 0)² = 4e38 overflows float32 to inf at the
// padded step, inf · 0 = NaN. The valid step is (1 - 1)² = 0.
TEST(NonFiniteMaskedTerm, OverflowingSquaredErrorAtAPaddedStepMakesTheLossNaN) {
  const std::string json = R"({"input": {"tokens": [[1, 0]]},
    "layers": [{"type": "Embedding", "input_dim": 2, "output_dim": 1, "mask_zero": true,
                "weights": {"embeddings": [[2e19], [1]]}},
               {"type": "Dense", "units": 1, "weights": {"kernel": [[1]], "bias": [0]}}],
    "target": [[[1], [0]]], "loss": "mse"})";
  const Ran r = run(json);
  EXPECT_EQ(r.masked.loss->terms[0], 0.0f);
  EXPECT_TRUE(std::isinf(r.masked.loss->terms[1]));
  EXPECT_TRUE(std::isnan(r.masked.loss->value)) << r.masked.loss->value;
  const CliResult out = cli_stdin({"run", "-", "--mode", "masked"}, json);
  ASSERT_EQ(out.status, 0) << out.err;
  EXPECT_NE(out.out.find("masked, but not left out: NaN · 0 = NaN"), std::string::npos) << out.out;
  EXPECT_NE(out.out.find("1 masked term is NaN or infinite"), std::string::npos) << out.out;
  EXPECT_EQ(out.out.find("the mean of the 1 valid terms"), std::string::npos) << "not a mean: the loss is NaN";
}

// Post-padding [1, 2, 0, 0]: the last step is masked, and with zero_output_for_mask its output is 0.
TEST(Wording, LstmZeroOutputForMaskWithTrailingPaddingSaysTheOutputIsZero) {
  const Ran r = run(R"({"seed": 1, "input": {"tokens": [[1, 2, 0, 0]]},
    "layers": [{"type": "Embedding", "input_dim": 3, "output_dim": 2, "mask_zero": true},
               {"type": "LSTM", "units": 2, "zero_output_for_mask": true}]})");
  const LayerRecord& lstm = r.masked.layers[1];
  EXPECT_EQ(lstm.output.values, (std::vector<float>{0.0f, 0.0f}));
  std::string notes;
  for (const auto& note : lstm.notes) notes += note + "\n";
  EXPECT_EQ(notes.find("carried through the padding"), std::string::npos) << notes;
  EXPECT_NE(notes.find("with trailing padding it is 0 (zero_output_for_mask)"), std::string::npos) << notes;
}

// A NaN in one run against a number in the other: |Δ| has no value, so diff says nan rather than inf.
// Token 0 looks up [3e38, 3e38]; x·W with W = [[2], [-2]] is 6e38 - 6e38 = inf - inf = NaN at the padded
// step of the unmasked run, while the masked run carries h over from t=0.
TEST(Wording, DiffSaysNaNForNaNAgainstANumber) {
  const std::string json = R"({"input": {"tokens": [[1, 0]]},
    "layers": [{"type": "Embedding", "input_dim": 2, "output_dim": 2, "mask_zero": true,
                "weights": {"embeddings": [[3e38, 3e38], [1, 0]]}},
               {"type": "SimpleRNN", "units": 1, "activation": "linear", "return_sequences": true,
                "weights": {"kernel": [[2], [-2]], "recurrent_kernel": [[1]], "bias": [0]}}]})";
  const CliResult out = cli_stdin({"diff", "-", "--layer", "simple_rnn"}, json);
  EXPECT_EQ(out.status, 1) << out.err;
  EXPECT_EQ(out.out.find(" inf"), std::string::npos) << out.out;
  EXPECT_NE(out.out.find("nan"), std::string::npos) << out.out;
}

TEST(Wording, MemoryLimitShowsSizesThatDiffer) {
  const CliResult out = run_cli({"validate", "scenarios/02-forum-lstm.json", "--max-memory", "1K"});
  EXPECT_EQ(out.status, 2);
  EXPECT_NE(out.err.find("over the memory limit of 1.0 KiB"), std::string::npos) << out.err;
  EXPECT_EQ(out.err.find("1 MiB, over the memory limit of 1 MiB"), std::string::npos) << out.err;
}

TEST(Wording, EmbeddingOnValuesSaysItNeedsTokens) {
  const std::string error = error_of(R"({"input": {"values": [[[1], [2]]]},
    "layers": [{"type": "Embedding", "input_dim": 3, "output_dim": 2}]})");
  EXPECT_NE(error.find("/layers/0/type: an Embedding looks up integer token ids: give the input as \"input\": "
                       "{\"tokens\""),
            std::string::npos) << error;
  EXPECT_EQ(error.find("cannot follow"), std::string::npos) << error;
}

TEST(Wording, ReversedStepsAreCalledReversed) {
  const CliResult out = run_cli({"run", "scenarios/02-forum-lstm.json", "--steps", "3:1"});
  EXPECT_EQ(out.status, 2);
  EXPECT_NE(out.err.find("--steps 3:1 is reversed; expected A:B with A <= B, such as 1:3"), std::string::npos)
      << out.err;
}

TEST(Wording, UnknownLayerTypeGetsDidYouMean) {
  const std::string error = error_of(R"({"input": {"values": [[[1]]]}, "layers": [{"type": "Lstm", "units": 2}]})");
  EXPECT_NE(error.find("/layers/0/type: unknown value \"Lstm\"; did you mean \"LSTM\"?"), std::string::npos) << error;
}

}  // namespace
}  // namespace maskviz

namespace maskviz {
namespace {

std::size_t widest_line(const std::string& text) {
  std::size_t widest = 0, current = 0;
  for (const char c : text) {
    if (c == '\n') {
      widest = std::max(widest, current);
      current = 0;
    } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {  // one column per code point
      ++current;
    }
  }
  return std::max(widest, current);
}

// Piped output used to be 100 wide whatever COLUMNS said.
TEST(Terminal, PipedOutputHonoursColumns) {
  for (const std::string command : {"run", "diff", "validate"}) {
    CliRun run;
    run.args = {command, "scenarios/11-batch-of-lengths.json"};
    run.env = {{"NO_COLOR", "1"}, {"COLUMNS", "80"}};
    const CliResult r = run_cli(run);
    ASSERT_LE(r.status, 1) << r.err;
    EXPECT_LE(widest_line(r.out), 80u) << command;
    EXPECT_GT(widest_line(r.out), 40u) << command;
  }
}

TEST(Terminal, ValidateTakesWidth) {
  const CliResult narrow = run_cli({"validate", "scenarios/11-batch-of-lengths.json", "--width", "80"});
  ASSERT_EQ(narrow.status, 0) << narrow.err;
  EXPECT_LE(widest_line(narrow.out), 80u);
  const CliResult wide = run_cli({"validate", "scenarios/11-batch-of-lengths.json", "--width", "200"});
  ASSERT_EQ(wide.status, 0) << wide.err;
  EXPECT_GT(widest_line(wide.out), 80u) << "a wide terminal gets one block, not blocks of 80 columns";
}

}  // namespace
}  // namespace maskviz
