// What a reader recomputes by hand (issue 11): a loss term from its target and formula, N and N/V, printed
// arithmetic that closes or says why not, and which differences between the runs matter (valid steps, the
// output, the loss) — with numbers small enough to check on paper.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>
#include <string>

#include "analysis/compare.h"
#include "analysis/loss_explanation.h"
#include "analysis/recap.h"
#include "engine/engine.h"
#include "loss/loss.h"
#include "render/render.h"
#include "render/text_format.h"
#include "scenario/scenario.h"

namespace maskviz {
namespace {

std::string four(float v) { return number(v, 4); }

// mse of ŷ = [0.5, 1] against y = [0, 0]: ((0.5 − 0)² + (1 − 0)²) / 2 = (0.25 + 1) / 2 = 0.625.
TEST(LossFormula, MseWorksOneTermOutFromItsTargetAndPrediction) {
  const LossRecord loss = compute_loss({LossKind::mse, false}, Tensor({1, 2}, {0.5f, 1.0f}), nullptr, std::nullopt,
                                       Tensor({1, 2}, {0.0f, 0.0f}));
  EXPECT_FLOAT_EQ(loss.terms.at(0), 0.625f);
  EXPECT_EQ(loss.target.values, (std::vector<float>{0, 0}));
  const LossFormula f = loss_formula(loss, 0, four);
  EXPECT_EQ(f.formula, "L = mean over the 2 features of (ŷ − y)²");
  EXPECT_EQ(f.worked, "b=0: ((0.5000 − 0.0000)² + (1.0000 − 0.0000)²) / 2 = 0.6250");
}

// Sparse crossentropy from logits z = [0, ln 3], class 1: logsumexp = ln(1 + 3) = ln 4 = 1.3863, and
// L = ln 4 − ln 3 = 0.2877.
TEST(LossFormula, SparseCrossentropyFromLogitsNamesTheClassAndLogsumexp) {
  const LossRecord loss = compute_loss({LossKind::sparse_categorical_crossentropy, true},
                                       Tensor({1, 2}, {0.0f, std::log(3.0f)}), nullptr, std::nullopt,
                                       Tensor({1}, {1.0f}));
  EXPECT_NEAR(loss.terms.at(0), std::log(4.0f / 3.0f), 1e-6);
  const LossFormula f = loss_formula(loss, 0, four);
  EXPECT_EQ(f.formula, "L = logsumexp(z) − z[y], logsumexp(z) = log Σ e^z");
  EXPECT_EQ(f.worked, "b=0: y = 1, logsumexp(z) = 1.3863; L = 1.3863 − 1.0986 = 0.2877");
}

// Binary crossentropy on a probability: −(1 · log 0.8 + 0 · log 0.2) = 0.2231.
TEST(LossFormula, BinaryCrossentropyOnProbabilitiesSpellsBothLogs) {
  const LossRecord loss = compute_loss({LossKind::binary_crossentropy, false}, Tensor({1, 1}, {0.8f}), nullptr,
                                       std::nullopt, Tensor({1, 1}, {1.0f}));
  const LossFormula f = loss_formula(loss, 0, four);
  EXPECT_EQ(f.worked, "b=0: (−(1.0000 × log 0.8000 + (1 − 1.0000) × log(1 − 0.8000))) / 1 = 0.2231");
}

// N counts terms, one per sequence and step: a [1, 4] term grid is N = 4 with a batch of 1.
TEST(LossWords, NCountsTermsNotSequences) {
  LossRecord loss;
  loss.terms_shape = {1, 4};
  loss.total = 4;
  EXPECT_NE(loss_count_words(loss).find("batch 1 × 4 steps = 4"), std::string::npos) << loss_count_words(loss);
  LossExplanation e;
  e.kind = LossExplanation::Case::valid_mean;
  e.total = 4;
  e.valid = 2;
  const std::string why = loss_rescale_words(e);
  EXPECT_NE(why.find("apply_mask (l.197)"), std::string::npos) << why;
  EXPECT_NE(why.find("mean over the 2 valid terms"), std::string::npos) << why;
  e.kind = LossExplanation::Case::every_term;
  EXPECT_EQ(loss_rescale_words(e), "");
}

// 2 × 1.6747 is 3.3494 on paper, while the float32 product of the unrounded term prints 3.3495.
TEST(ArithmeticCheck, SaysWhereHandArithmeticOnPrintedDigitsMisses) {
  ArithmeticCheck ok(4);
  ok.check(2 * 1.5, 3.0f, "2 × 1.5000");
  EXPECT_TRUE(ok.closes());
  EXPECT_EQ(ok.words(), "");
  ArithmeticCheck miss(4);
  miss.check(2 * as_printed(1.67474f, 4), 2 * 1.67474f, "2 × 1.6747");
  EXPECT_FALSE(miss.closes());
  EXPECT_NE(miss.words().find("2 × 1.6747 = 3.3494 on the printed digits, where 3.3495 is printed"), std::string::npos)
      << miss.words();
  EXPECT_NE(miss.words().find("--precision 7"), std::string::npos);
  EXPECT_DOUBLE_EQ(as_printed(1.67474f, 4), 1.6747);
}

// Tokens [1, 0, 2, 0] into an LSTM: the runs part at t=1, a masked step (the masked run carries t=0 over);
// the first valid step that differs is t=2, whose input state came from the different t=1.
const char* kLstm = R"({"seed": 5, "input": {"tokens": [[1, 0, 2, 0]]},
  "layers": [{"type": "Embedding", "input_dim": 3, "output_dim": 2, "mask_zero": true},
             {"type": "LSTM", "units": 2, "return_sequences": true}]})";

TEST(Compare, SplitsDifferencesAtMaskedStepsFromValidOnes) {
  const Scenario scenario = load_scenario(kLstm, "test");
  const Trace trace = run_both(scenario, Detail::full);
  const RunComparison c = compare_runs(trace);
  const LayerComparison& lstm = c.layers.at(1);
  EXPECT_TRUE(lstm.split);
  EXPECT_EQ(lstm.first_step.at(0), 1u);
  EXPECT_EQ(lstm.first_valid_step.at(0), 2u);
  EXPECT_EQ(lstm.at_masked.differing + lstm.at_valid.differing, lstm.output.differing);
  EXPECT_EQ(lstm.at_valid.differing, 2u);  // t=2, both units
  EXPECT_TRUE(c.output_valid_differs);
  const Recap r = recap_runs(trace, c);
  ASSERT_TRUE(r.first && r.first_valid);
  EXPECT_TRUE(r.first->masked);
  EXPECT_EQ(r.first->t, 1u);
  EXPECT_EQ(r.first_valid->t, 2u);
  EXPECT_EQ(r.masked_steps.at(0).second, (std::vector<std::size_t>{1, 3}));
}

// Embedding → Dense with mse: no layer reads the mask, so the valid terms are the same in both runs and the
// loss differs only by the masked terms the unmasked run counts.
TEST(Compare, ValidLossTermsAgreeWhenOnlyTheLossReadsTheMask) {
  const Scenario scenario = load_scenario(R"({"seed": 3, "input": {"tokens": [[1, 2, 0, 0]]},
    "layers": [{"type": "Embedding", "input_dim": 5, "output_dim": 5, "mask_zero": true}, {"type": "Dense", "units": 3}],
    "target": [[[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]]], "loss": "mse"})", "test");
  const Trace trace = run_both(scenario, Detail::full);
  const RunComparison c = compare_runs(trace);
  EXPECT_FALSE(c.loss_identical);
  EXPECT_EQ(c.loss_counted_terms, 2u);
  EXPECT_EQ(c.loss_counted_terms_differ, 0u);
  EXPECT_FALSE(c.first_valid_layer.has_value());
  const auto lines = valid_difference_sentences(recap_runs(trace, c), c, four);
  ASSERT_FALSE(lines.empty());
  EXPECT_NE(lines.back().find("its 2 valid terms are the same in both runs"), std::string::npos) << lines.back();
}

TEST(Text, DiffVerdictHasNoExitStatusAndRunEndsWithARecap) {
  const Scenario scenario = load_scenario(kLstm, "test");
  const Trace trace = run_both(scenario, Detail::full);
  std::ostringstream diff, run, one;
  render_diff(trace, TextOptions{}, diff);
  EXPECT_EQ(diff.str().find("exit status"), std::string::npos) << diff.str();
  EXPECT_NE(diff.str().find("differences at valid steps"), std::string::npos) << diff.str();
  render_run(trace, TextOptions{}, run);
  const std::string text = run.str();
  const auto recap = text.find("recap: what the two runs showed");
  ASSERT_NE(recap, std::string::npos);
  EXPECT_GT(recap, text.find("unmasked run: the same weights"));
  EXPECT_NE(text.find("the first valid step that differs is lstm (LSTM) at b=0 t=2", recap), std::string::npos)
      << text.substr(recap);
  TextOptions masked_only;
  masked_only.mode = RunMode::masked;
  render_run(trace, masked_only, one);
  EXPECT_NE(one.str().find("Only one run is printed"), std::string::npos);
  EXPECT_EQ(one.str().find("Where the runs parted"), std::string::npos);
}

// A scenario without a description (the cold reader's fourth): Masking over all-zero feature rows → GRU →
// Dense, mse. Everything issue 11 asks for shows without a description to lean on: targets beside the
// terms, the formula worked out, what N counts, the valid-step differences and the recap.
TEST(Text, ScenarioWithoutADescriptionStillExplainsItsLoss) {
  const Scenario scenario = load_scenario(R"({"seed": 9, "input": {"values": [[[0.5, 1], [1, -1], [0, 0], [0, 0]]]},
    "layers": [{"type": "Masking", "mask_value": 0}, {"type": "GRU", "units": 2, "return_sequences": true},
               {"type": "Dense", "units": 2}],
    "target": [[[1, 0], [0, 1], [2, 2], [2, 2]]], "loss": "mse"})", "test");
  const Trace trace = run_both(scenario, Detail::full);
  std::ostringstream run, diff;
  render_run(trace, TextOptions{}, run);
  const std::string text = run.str();
  EXPECT_NE(text.find("target y"), std::string::npos);
  EXPECT_NE(text.find("[2 2]"), std::string::npos);
  EXPECT_NE(text.find("L = mean over the 2 features of (ŷ − y)²"), std::string::npos);
  EXPECT_NE(text.find("batch 1 × 4 steps = 4"), std::string::npos);
  EXPECT_NE(text.find("The mask: masking made it, masking b=0 at t=2, t=3."), std::string::npos) << text;
  render_diff(trace, TextOptions{}, diff);
  // The GRU carries t=1 over at t=2 and t=3: every difference is at a masked step.
  EXPECT_NE(diff.str().find("No layer differs at a valid step: every difference is at a masked step, by design."),
            std::string::npos)
      << diff.str();
}

}  // namespace
}  // namespace maskviz
