// The command line as a user meets it: exit statuses as diff(1), colour only on a terminal, ASCII
// with --ascii, and the selectors (--mode, --batch, --steps, --layer, --no-notes, --precision).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli_run.h"

namespace maskviz {
namespace {

using testing::CliResult;
using testing::CliRun;
using testing::run_cli;

const std::string kLstm = "tests/golden/lstm-carry-over.scenario.json";
const std::string kFlatten = "tests/golden/flatten-drops-mask.scenario.json";
const std::string kBatchOfThree = "tests/golden/batch-of-three.scenario.json";

std::size_t count_lines(const std::string& text) { return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')); }

bool has_line_starting(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.compare(0, prefix.size(), prefix) == 0) return true;
  return false;
}

void expect_one_error_line(const CliResult& r) {
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_EQ(r.out, "") << "nothing on standard output on error";
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
}

// --- Exit statuses, as diff(1) ---

TEST(CliDiff, ExitsZeroWhenTheMaskIsDroppedBeforeAnythingReadsIt) {
  const CliResult r = run_cli({"diff", kFlatten});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  // The output says why: the mask was dropped by Flatten before any layer or the loss read it.
  EXPECT_NE(r.out.find("dropped by flatten (Flatten) before any layer or the loss reads it"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("the runs are identical"), std::string::npos);
  EXPECT_TRUE(has_line_starting(r.out, "  embedding  Embedding   identical")) << r.out;
  EXPECT_TRUE(has_line_starting(r.out, "  flatten    Flatten     identical")) << r.out;
  EXPECT_TRUE(has_line_starting(r.out, "  dense      Dense       identical")) << r.out;
  EXPECT_EQ(r.out.find("the runs differ"), std::string::npos);
}

TEST(CliDiff, ExitsOneWhenAnLstmReadsTheMask) {
  const CliResult r = run_cli({"diff", kLstm});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("the runs differ, first at lstm (LSTM)"), std::string::npos) << r.out;
  // The embedding is identical: masking changes no value before the first layer that reads the mask.
  EXPECT_TRUE(has_line_starting(r.out, "  embedding  Embedding   identical")) << r.out;
  EXPECT_TRUE(has_line_starting(r.out, "  lstm       LSTM        differs")) << r.out;
}

TEST(CliDiff, ExitsOneWhenOnlyTheLossReadsTheMask) {
  // Embedding -> Dense: every layer output is the same, the masked loss is the mean of the valid terms.
  const CliResult r = run_cli({"diff", "tests/golden/masked-mse-mean-of-valid-steps.scenario.json"});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.out.find("in the loss only"), std::string::npos) << r.out;
}

TEST(CliDiff, LayerSelectionDecidesTheStatus) {
  EXPECT_EQ(run_cli({"diff", kLstm, "--layer", "embedding"}).status, 0);
  EXPECT_EQ(run_cli({"diff", kLstm, "--layer", "lstm"}).status, 1);
}

TEST(CliDiff, StepSelectionDecidesTheStatus) {
  // lstm-carry-over: tokens [1, 0, 2, 0]; step 0 comes before the first masked step, so it agrees.
  EXPECT_EQ(run_cli({"diff", kLstm, "--layer", "lstm", "--steps", "0:0"}).status, 0);
  EXPECT_EQ(run_cli({"diff", kLstm, "--layer", "lstm", "--steps", "1:1"}).status, 1);
}

TEST(CliDiff, ExitsTwoOnABadScenario) {
  CliRun run;
  run.args = {"diff", "-"};
  run.env = {{"NO_COLOR", "1"}};
  run.stdin_text = R"({"input": {"tokens": [[1, 0]]}, "layers": [{"type": "Embedding", "input_dim": 2, "output_dim": 2, "mask_zeros": true}]})";
  expect_one_error_line(run_cli(run));
  expect_one_error_line(run_cli({"diff", "tests/no-such-scenario.json"}));
}

TEST(CliDiff, ExitsTwoOnBadArguments) {
  expect_one_error_line(run_cli({"diff", kLstm, "--steps", "3:1"}));
  expect_one_error_line(run_cli({"diff", kLstm, "--batch", "5"}));
  expect_one_error_line(run_cli({"diff", kLstm, "--no-such-option"}));
  expect_one_error_line(run_cli({"diff"}));
}

TEST(CliRun, ABadLayerExitsTwoWithOneErrorLineAndNothingOnStdout) {
  const CliResult r = run_cli({"run", kLstm, "--layer", "lstm_7"});
  expect_one_error_line(r);
  EXPECT_NE(r.err.find("embedding, lstm, dense"), std::string::npos) << "the error lists the layers: " << r.err;
}

// --- Colour: only on a terminal, never with NO_COLOR or --no-color ---

TEST(CliColour, NoEscapeCodesWhenPiped) {
  for (const std::string command : {"run", "diff"}) {
    CliRun run;
    run.args = {command, kLstm};
    const CliResult r = run_cli(run);  // NO_COLOR unset, standard output a pipe
    EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << command;
    EXPECT_FALSE(r.out.empty());
  }
}

TEST(CliColour, ColourOnATerminal) {
  CliRun run;
  run.args = {"run", kLstm};
  run.terminal = true;
  run.env = {{"TERM", "xterm-256color"}};
  const CliResult r = run_cli(run);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("\x1b["), std::string::npos) << "a terminal gets colour";
}

TEST(CliColour, NoEscapeCodesOnATerminalWithNoColorOrTheFlag) {
  CliRun with_env;
  with_env.args = {"run", kLstm};
  with_env.terminal = true;
  with_env.env = {{"TERM", "xterm-256color"}, {"NO_COLOR", "1"}};
  const CliResult a = run_cli(with_env);
  EXPECT_EQ(a.status, 0);
  EXPECT_FALSE(a.out.empty());
  EXPECT_EQ(a.out.find('\x1b'), std::string::npos);

  CliRun with_flag = with_env;
  with_flag.env = {{"TERM", "xterm-256color"}};
  with_flag.args = {"diff", kLstm, "--no-color"};
  const CliResult b = run_cli(with_flag);
  EXPECT_EQ(b.status, 1);
  EXPECT_EQ(b.out.find('\x1b'), std::string::npos);
}

// --- ASCII ---

TEST(CliAscii, AsciiOutputIsPureAscii) {
  for (const std::string& scenario : {kLstm, kFlatten, std::string("tests/golden/gru-default.scenario.json"),
                                      std::string("tests/golden/bidirectional-lstm-concat.scenario.json")}) {
    for (const std::string command : {"run", "diff", "validate"}) {
      const CliResult r = run_cli({command, scenario, "--ascii"});
      ASSERT_LE(r.status, 1) << command << " " << scenario << ": " << r.err;
      const auto bad = std::find_if(r.out.begin(), r.out.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
      EXPECT_EQ(bad, r.out.end()) << command << " " << scenario << " at byte " << (bad - r.out.begin());
    }
  }
  // Without --ascii the mask glyphs are there.
  EXPECT_NE(run_cli({"run", kLstm}).out.find("■ □ ■ □"), std::string::npos);
  EXPECT_NE(run_cli({"run", kLstm, "--ascii"}).out.find("# . # ."), std::string::npos);
}

// --- Selectors ---

TEST(CliSelect, ModeShowsOneRun) {
  const CliResult masked = run_cli({"run", kLstm, "--mode", "masked"});
  EXPECT_NE(masked.out.find("══ masked run"), std::string::npos);
  EXPECT_EQ(masked.out.find("══ unmasked run"), std::string::npos);
  const CliResult unmasked = run_cli({"run", kLstm, "--mode", "unmasked"});
  EXPECT_EQ(unmasked.out.find("══ masked run"), std::string::npos);
  EXPECT_NE(unmasked.out.find("══ unmasked run"), std::string::npos);
  // With one run shown, its weights are printed (not "the same as in the masked run").
  EXPECT_NE(unmasked.out.find("W = kernel [4, 12]"), std::string::npos);
}

TEST(CliSelect, BatchShowsOnlyThatSequence) {
  const CliResult all = run_cli({"run", kBatchOfThree});
  ASSERT_EQ(all.status, 0) << all.err;
  EXPECT_NE(all.out.find("b=0 t=0"), std::string::npos);
  const CliResult one = run_cli({"run", kBatchOfThree, "--batch", "1"});
  ASSERT_EQ(one.status, 0) << one.err;
  EXPECT_NE(one.out.find("┌─ b=1 t=0"), std::string::npos);
  for (const std::string other : {"b=0 ", "b=2 ", "b=0\n", "b=2\n"})
    EXPECT_EQ(one.out.find(other), std::string::npos) << "no trace of another sequence: " << other;
}

TEST(CliSelect, StepsShowOnlyThoseSteps) {
  const CliResult r = run_cli({"run", kLstm, "--steps", "1:2"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("┌─ b=0 t=1"), std::string::npos);
  EXPECT_NE(r.out.find("┌─ b=0 t=2"), std::string::npos);
  EXPECT_EQ(r.out.find("t=0 "), std::string::npos);
  EXPECT_EQ(r.out.find("t=3"), std::string::npos);
  // The masked step 1 still says where its state came from, though step 0 is not shown.
  EXPECT_NE(r.out.find("carried over from t=0"), std::string::npos);
}

TEST(CliSelect, LayerShowsOnlyThatLayerAndNoLoss) {
  const CliResult r = run_cli({"run", kLstm, "--layer", "lstm"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("── 2/3 lstm · LSTM"), std::string::npos);
  EXPECT_EQ(r.out.find("── 1/3 embedding"), std::string::npos);
  EXPECT_EQ(r.out.find("── 3/3 dense"), std::string::npos);
  EXPECT_EQ(r.out.find("── loss"), std::string::npos);
}

TEST(CliSelect, NoNotesLeavesOutTheNotesOnly) {
  const CliResult with = run_cli({"run", kLstm});
  const CliResult without = run_cli({"run", kLstm, "--no-notes"});
  EXPECT_TRUE(with.out.find("note: ") != std::string::npos);
  EXPECT_EQ(without.out.find("note: "), std::string::npos);
  EXPECT_NE(without.out.find("carried over from t=0"), std::string::npos) << "the trace itself stays";
}

TEST(CliSelect, PrecisionSetsTheDigitsOfEveryNumber) {
  const CliResult two = run_cli({"run", kLstm, "--precision", "2", "--mode", "masked"});
  const CliResult six = run_cli({"run", kLstm, "--precision", "6", "--mode", "masked"});
  // The first embedding row of lstm-carry-over is given as 0.2962: printed to 2 and 6 digits.
  EXPECT_NE(two.out.find(" 0.30 "), std::string::npos);
  EXPECT_NE(six.out.find(" 0.296200 "), std::string::npos);
  EXPECT_EQ(two.out.find("0.2962"), std::string::npos);
}

// A scenario larger than 64 (sequence, step) pairs is summarised unless a selector is given.
TEST(CliSelect, LargeScenarioPrintsASummaryAndSaysHowToSeeMore) {
  namespace fs = std::filesystem;
  const fs::path path = fs::temp_directory_path() / ("maskviz-large-" + std::to_string(::getpid()) + ".json");
  {
    std::ofstream out(path);
    out << R"({"name": "large", "seed": 1, "input": {"tokens": [)";
    for (int b = 0; b < 9; ++b) out << (b ? "," : "") << "[1,2,3,4,5,0,0,0]";
    out << R"(]}, "layers": [{"type": "Embedding", "input_dim": 6, "output_dim": 3, "mask_zero": true},
                             {"type": "LSTM", "units": 2, "return_sequences": true}]})";
  }
  const CliResult summary = run_cli({"run", path.string()});
  ASSERT_EQ(summary.status, 0) << summary.err;
  EXPECT_NE(summary.out.find("--batch 0 --steps 0:7"), std::string::npos) << summary.out;
  EXPECT_NE(summary.out.find("--layer lstm"), std::string::npos);
  EXPECT_EQ(summary.out.find("┌─"), std::string::npos) << "no step boxes in a summary";
  EXPECT_NE(summary.out.find("27 of 72 steps masked"), std::string::npos) << summary.out;
  EXPECT_LT(count_lines(summary.out), 120u);

  const CliResult part = run_cli({"run", path.string(), "--batch", "0", "--steps", "4:5"});
  ASSERT_EQ(part.status, 0);
  EXPECT_NE(part.out.find("┌─ b=0 t=5"), std::string::npos);
  fs::remove(path);
}

TEST(CliValidate, PrintsTheModelAndWhatEachLayerDoesWithTheMask) {
  const CliResult r = run_cli({"validate", kFlatten});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("creates one"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("drops it"), std::string::npos);
  EXPECT_NE(r.out.find("no mask reaches the loss"), std::string::npos);
  // 4x3 embeddings + 12x2 kernel + 2 bias = 38 parameters, all given.
  EXPECT_TRUE(has_line_starting(r.out, "                             total              38")) << r.out;
  EXPECT_EQ(r.out.find("drawn"), std::string::npos);

  const CliResult lstm = run_cli({"validate", kLstm});
  EXPECT_NE(lstm.out.find("reads it and passes it on"), std::string::npos);
  EXPECT_NE(lstm.out.find("the mask reaches the loss"), std::string::npos);
}

TEST(CliValidate, SaysWhichWeightsWereDrawn) {
  CliRun run;
  run.args = {"validate", "-"};
  run.env = {{"NO_COLOR", "1"}};
  run.stdin_text = R"({"seed": 5, "input": {"tokens": [[1, 0]]}, "layers": [
      {"type": "Embedding", "input_dim": 2, "output_dim": 2, "mask_zero": true},
      {"type": "SimpleRNN", "units": 2}]})";
  const CliResult r = run_cli(run);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("drawn: glorot_uniform"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("drawn: orthogonal"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("target  none"), std::string::npos);
}

// 16e: Add reads emb, whose mask mha (MultiHeadAttention) set to None in place, and mha's output, which
// carries the query's mask; Merge.compute_mask returns None when any input's mask is None. validate and
// run say it in the same words (analysis/mask_words).
TEST(CliValidate, AnAddThatLosesTheMaskSaysWhy) {
  const std::string scenario = "scenarios/16e-residual-loses-mask.json";
  const std::string why =
      "loses it: Add's output mask is None because emb carries no mask when Add runs (mha, which read emb "
      "earlier, set that tensor's mask to None in place: multi_head_attention.py l.628-631), and "
      "Merge.compute_mask returns None as soon as any input's mask is None (base_merge.py l.255-277), without "
      "ORing the mask of mha: what reads its output gets no mask from it";
  const CliResult v = run_cli({"validate", scenario, "--width", "1000"});
  ASSERT_EQ(v.status, 0) << v.err;
  EXPECT_NE(v.out.find("loses it: emb (cleared by mha) has none"), std::string::npos) << v.out;
  EXPECT_NE(v.out.find("residual: " + why), std::string::npos) << v.out;
  EXPECT_EQ(v.out.find("merges its inputs' masks"), std::string::npos) << v.out;
  EXPECT_NE(v.out.find("no mask reaches the loss"), std::string::npos);

  const CliResult r = run_cli({"run", scenario, "--width", "1000"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(has_line_starting(r.out, "  residual  Add                  loses it")) << r.out;
  EXPECT_NE(r.out.find("  mask    " + why), std::string::npos) << r.out;
}

// Detail full shows each head's Q, K and V as products; detail steps does not.
TEST(CliRun, DetailFullShowsTheProjectionsPerHead) {
  const std::string scenario = "scenarios/16e-residual-loses-mask.json";
  const CliResult full = run_cli({"run", scenario, "--detail", "full", "--width", "1000"});
  ASSERT_EQ(full.status, 0) << full.err;
  EXPECT_NE(full.out.find("      Q = query · query_kernel[:, 1, :] + query_bias[1]   [5, 2]"), std::string::npos) << full.out;
  EXPECT_NE(full.out.find("      K = value · key_kernel[:, 0, :] + key_bias[0]   [5, 2]"), std::string::npos);
  EXPECT_NE(full.out.find("    query [5, 4], what the projections read"), std::string::npos);
  const CliResult steps = run_cli({"run", scenario, "--detail", "steps", "--width", "1000"});
  ASSERT_EQ(steps.status, 0) << steps.err;
  EXPECT_EQ(steps.out.find("Q = query"), std::string::npos);
}

}  // namespace
}  // namespace maskviz
