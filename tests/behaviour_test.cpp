// Behaviour a learner asks about, pinned with numbers a student can check by hand (mlpack style: zero
// every weight but one path, then the layer follows a closed form; the derivation is in the comment).
//
// Map: (1) the questions from the issue; (2) one closed form per recurrent cell; (3) the walk: masks,
// zero_output_for_mask, go_backwards, Bidirectional, return_state; (4) pooling and Masking; (5) losses.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "record_access.h"
#include "core/errors.h"
#include "engine/engine.h"
#include "loss/loss.h"
#include "scenario/scenario.h"

namespace maskviz {
namespace {

// A scenario and both of its runs.
struct Ran {
  Scenario scenario;
  RunRecord masked, unmasked;
};

Ran run(const std::string& json, Detail detail = Detail::full) {
  Ran r{load_scenario(json, "behaviour_test"), {}, {}};
  r.masked = run_model(r.scenario, RunMode::masked, detail);
  r.unmasked = run_model(r.scenario, RunMode::unmasked, detail);
  return r;
}

std::vector<float> row(const Tensor& t, std::size_t i) { return {t.row(i), t.row(i) + t.row_length()}; }

bool contains(const std::vector<std::string>& texts, const std::string& part) {
  return std::any_of(texts.begin(), texts.end(), [&](const std::string& s) { return s.find(part) != std::string::npos; });
}

// ---------------------------------------------------------------------------------------------------
// (1) The questions from the issue.

// Flatten does not support masking: Keras drops the mask with a warning, so nothing after it can tell
// padding apart, and the masked run equals the unmasked one layer by layer.
TEST(Questions, FlattenDropsTheMaskSoBothRunsAreIdentical) {
  const Ran r = run(R"({"seed": 3, "input": {"tokens": [[1, 2, 0, 0]]},
    "layers": [{"type": "Embedding", "input_dim": 3, "output_dim": 2, "mask_zero": true},
               {"type": "Flatten"}, {"type": "Dense", "units": 1}]})");
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(r.masked.layers[i].output.values, r.unmasked.layers[i].output.values);
  const LayerRecord& flatten = r.masked.layers[1];
  EXPECT_EQ(flatten.mask_action, MaskAction::dropped);
  EXPECT_TRUE(flatten.input_mask.has_value());
  EXPECT_FALSE(flatten.output_mask.has_value());
  EXPECT_TRUE(contains(flatten.warnings, "does not support masking"));
  EXPECT_TRUE(r.unmasked.layers[1].warnings.empty());  // no mask arrives in the unmasked run
}

// At a masked step the LSTM repeats its previous output, h and c, bit for bit; the cell was computed
// there all the same (its candidate differs) and thrown away.
TEST(Questions, MaskedLstmStepsRepeatThePreviousOutputAndStatesExactly) {
  const Ran r = run(R"({"seed": 5, "input": {"tokens": [[1, 0, 2, 0]]},
    "layers": [{"type": "Embedding", "input_dim": 3, "output_dim": 4, "mask_zero": true},
               {"type": "LSTM", "units": 3, "return_sequences": true}]})");
  const LayerRecord& lstm = r.masked.layers[1];
  ASSERT_EQ(steps_of(lstm).size(), 4u);
  for (const std::size_t k : {1u, 3u}) {
    const StepRecord& masked = steps_of(lstm)[k];
    const StepRecord& before = steps_of(lstm)[k - 1];
    EXPECT_TRUE(masked.masked);
    EXPECT_TRUE(masked.carried_over);
    EXPECT_EQ(masked.output_source, OutputSource::previous_output);
    EXPECT_EQ(masked.output.values, before.output.values);
    ASSERT_EQ(masked.kept_states.size(), 2u);
    EXPECT_EQ(masked.kept_states[0].value.values, before.kept_states[0].value.values);  // h
    EXPECT_EQ(masked.kept_states[1].value.values, before.kept_states[1].value.values);  // c
    EXPECT_NE(masked.candidate_states[1].value.values, masked.kept_states[1].value.values);
    EXPECT_EQ(row(lstm.output, k), row(lstm.output, k - 1));
  }
  EXPECT_NE(row(r.unmasked.layers[1].output, 1), row(r.unmasked.layers[1].output, 0));
}

// mask_zero changes no value: token 0 looks up row 0 of the embeddings, a real vector.
TEST(Questions, TokenZeroEmbeddingRowIsNotZero) {
  const Ran r = run(R"({"seed": 11, "input": {"tokens": [[2, 0]]},
    "layers": [{"type": "Embedding", "input_dim": 3, "output_dim": 4, "mask_zero": true}]})");
  const LayerRecord& embedding = r.masked.layers[0];
  const Tensor& table = embedding.weights.at(0).value;  // [3, 4], drawn from uniform(-0.05, 0.05)
  EXPECT_EQ(row(embedding.output, 1), row(table, 0));
  EXPECT_TRUE(std::any_of(table.row(0), table.row(0) + 4, [](float v) { return v != 0.0f; }));
  EXPECT_EQ(embedding.output.values, r.unmasked.layers[0].output.values);
  Mask want(1, 2);
  want.set(0, 1, false);
  EXPECT_EQ(embedding.output_mask, want);
  EXPECT_TRUE(lookups_of(embedding).at(1).masked);
}

// The classic example: tokens [[1, 2, 0, 0]], target arange(12) reshaped [1, 4, 3], mse. With the
// mask the loss is the mean of the per-step MSE over the first two steps; without, over all four.
TEST(Questions, MaskedLossOfTheClassicExampleIsTheMeanOverTheValidSteps) {
  const Ran r = run(R"({"seed": 9, "input": {"tokens": [[1, 2, 0, 0]]},
    "layers": [{"type": "Embedding", "input_dim": 3, "output_dim": 2, "mask_zero": true},
               {"type": "LSTM", "units": 4, "return_sequences": true},
               {"type": "Dense", "units": 3}],
    "target": [[[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]]], "loss": "mse"})");
  auto step_mse = [](const Tensor& y, std::size_t t) {  // L_t = (1/3) Σ_c (target - y)²
    double sum = 0;
    for (std::size_t c = 0; c < 3; ++c) sum += std::pow(static_cast<double>(3 * t + c) - y.row(t)[c], 2);
    return sum / 3;
  };
  const Tensor& y_masked = r.masked.layers[2].output;
  const Tensor& y_plain = r.unmasked.layers[2].output;
  ASSERT_TRUE(r.masked.loss && r.unmasked.loss);
  EXPECT_NEAR(r.masked.loss->value, (step_mse(y_masked, 0) + step_mse(y_masked, 1)) / 2, 1e-5);
  EXPECT_NEAR(r.unmasked.loss->value,
              (step_mse(y_plain, 0) + step_mse(y_plain, 1) + step_mse(y_plain, 2) + step_mse(y_plain, 3)) / 4, 1e-5);
  EXPECT_EQ(r.masked.loss->weights, (std::vector<float>{2, 2, 0, 0}));  // N/V = 4/2 where kept
  EXPECT_EQ(r.masked.loss->valid, 2u);
  EXPECT_EQ(r.masked.loss->total, 4u);
}

// ---------------------------------------------------------------------------------------------------
// (2) One closed form per cell.

// SimpleRNN, linear, kernel = I, recurrent_kernel = 0.5·I, bias [1, 0]:
//   h_t = x_t + [1, 0] + 0.5·h_{t-1}
//   x = [1,2], [3,4], (masked), [5,6]
//   h_0 = [2, 2];  h_1 = [3+1+1, 4+0+1] = [5, 5];  h_2 = h_1 (masked);  h_3 = [5+1+2.5, 6+2.5] = [8.5, 8.5]
// Every number is exact in float32.
TEST(ClosedForm, SimpleRnnWithIdentityKernelIsALeakySum) {
  const Ran r = run(R"({"input": {"values": [[[1, 2], [3, 4], [0, 0], [5, 6]]]},
    "layers": [{"type": "Masking"},
               {"type": "SimpleRNN", "units": 2, "activation": "linear", "return_sequences": true,
                "weights": {"kernel": [[1, 0], [0, 1]], "recurrent_kernel": [[0.5, 0], [0, 0.5]], "bias": [1, 0]}}]})");
  EXPECT_EQ(r.masked.layers[1].output.values, (std::vector<float>{2, 2, 5, 5, 5, 5, 8.5, 8.5}));
  // Unmasked, step 2 is computed from x = [0, 0]: h_2 = [0+1+2.5, 2.5] = [3.5, 2.5], h_3 = [5+1+1.75, 6+1.25].
  EXPECT_EQ(r.unmasked.layers[1].output.values, (std::vector<float>{2, 2, 5, 5, 3.5, 2.5, 7.75, 7.25}));
}

// LSTM, one unit, every kernel zero, bias [0, 0, 0.5, 0]: the gates no longer depend on x or h,
//   i = f = o = σ(0) = 1/2,   c~ = tanh(0.5)
//   c_t = ½·c_{t-1} + ½·c~   =>   c_k = (1 - 2^-k)·c~ after k kept steps,   h = ½·tanh(c)
// Mask [1, 1, 0, 1]: the masked step keeps c_2 and h_2; the last step makes c_3 = ⅞·c~.
TEST(ClosedForm, LstmWithZeroKernelsFollowsTheCarryRecurrence) {
  const Ran r = run(R"({"input": {"values": [[[1], [1], [0], [1]]]},
    "layers": [{"type": "Masking"},
               {"type": "LSTM", "units": 1, "return_sequences": true, "return_state": true,
                "weights": {"kernel": [[0, 0, 0, 0]], "recurrent_kernel": [[0, 0, 0, 0]], "bias": [0, 0, 0.5, 0]}}]})");
  const float c_tilde = std::tanh(0.5f);
  const float c1 = 0.5f * c_tilde, c2 = 0.75f * c_tilde, c3 = 0.875f * c_tilde;
  const auto h = [](float c) { return 0.5f * std::tanh(c); };
  const LayerRecord& lstm = r.masked.layers[1];
  const std::vector<float> want = {h(c1), h(c2), h(c2), h(c3)};
  for (std::size_t t = 0; t < 4; ++t) EXPECT_NEAR(lstm.output.values[t], want[t], 1e-6) << "t=" << t;
  ASSERT_EQ(lstm.states.size(), 2u);
  EXPECT_EQ(lstm.states[0].name, "h");
  EXPECT_NEAR(lstm.states[0].value.values[0], h(c3), 1e-6);
  EXPECT_EQ(lstm.states[1].name, "c");
  EXPECT_NEAR(lstm.states[1].value.values[0], c3, 1e-6);
  // The record shows the gates that make the recurrence: i, f, o = 1/2 and c~ = tanh(0.5).
  const StepRecord& step = steps_of(lstm)[0];
  ASSERT_EQ(step.gates.size(), 4u);
  EXPECT_NEAR(step.gates[0].value.values[0], 0.5f, 1e-6);
  EXPECT_NEAR(step.gates[1].value.values[0], 0.5f, 1e-6);
  EXPECT_NEAR(step.gates[2].value.values[0], c_tilde, 1e-6);
  EXPECT_NEAR(step.gates[3].value.values[0], 0.5f, 1e-6);
}

// With trailing padding and return_sequences=false, the output and the states are those of the last
// valid step: c_2 = ¾·c~, h_2 = ½·tanh(c_2).
TEST(ClosedForm, LstmReturnStateWithTrailingPaddingGivesTheLastValidStates) {
  const Ran r = run(R"({"input": {"values": [[[1], [1], [0], [0]]]},
    "layers": [{"type": "Masking"},
               {"type": "LSTM", "units": 1, "return_state": true,
                "weights": {"kernel": [[0, 0, 0, 0]], "recurrent_kernel": [[0, 0, 0, 0]], "bias": [0, 0, 0.5, 0]}}]})");
  const float c2 = 0.75f * std::tanh(0.5f), h2 = 0.5f * std::tanh(c2);
  const LayerRecord& lstm = r.masked.layers[1];
  EXPECT_NEAR(lstm.output.values.at(0), h2, 1e-6);
  EXPECT_NEAR(lstm.states.at(0).value.values.at(0), h2, 1e-6);
  EXPECT_NEAR(lstm.states.at(1).value.values.at(0), c2, 1e-6);
  EXPECT_FALSE(lstm.output_mask.has_value());  // return_sequences=false: the mask ends here
}

// GRU, one unit, kernel zero, recurrent_kernel [0, 0, u] with u = 0.8: z = r = σ(0) = ½ and
//   reset_after  (bias [[0, 0, 0.3], [0, 0, 0.2]]):  h~_t = tanh(0.3 + ½·(u·h_{t-1} + 0.2))
//   reset_before (bias [0, 0, 0.3]):                  h~_t = tanh(0.3 + (½·h_{t-1})·u)
//   both:  h_t = ½·h_{t-1} + ½·h~_t
// The two differ already at step 0 by ½·0.2 inside the tanh: the recurrent bias sits inside r ⊙ (·).
TEST(ClosedForm, GruResetAfterAndResetBeforeDifferWhereTheResetGateIsApplied) {
  const float u = 0.8f;
  const auto expected = [&](bool reset_after) {
    std::vector<float> h;
    float prev = 0;
    for (int t = 0; t < 3; ++t) {
      const float hh = reset_after ? std::tanh(0.3f + 0.5f * (u * prev + 0.2f)) : std::tanh(0.3f + (0.5f * prev) * u);
      prev = 0.5f * prev + 0.5f * hh;
      h.push_back(prev);
    }
    return h;
  };
  const Ran after = run(R"({"input": {"values": [[[1], [2], [3]]]}, "layers": [{"type": "GRU", "units": 1,
    "return_sequences": true, "weights": {"kernel": [[0, 0, 0]], "recurrent_kernel": [[0, 0, 0.8]],
    "bias": [[0, 0, 0.3], [0, 0, 0.2]]}}]})");
  const Ran before = run(R"({"input": {"values": [[[1], [2], [3]]]}, "layers": [{"type": "GRU", "units": 1,
    "reset_after": false, "return_sequences": true, "weights": {"kernel": [[0, 0, 0]],
    "recurrent_kernel": [[0, 0, 0.8]], "bias": [0, 0, 0.3]}}]})");
  for (std::size_t t = 0; t < 3; ++t) {
    EXPECT_NEAR(after.masked.layers[0].output.values[t], expected(true)[t], 1e-6) << "reset_after t=" << t;
    EXPECT_NEAR(before.masked.layers[0].output.values[t], expected(false)[t], 1e-6) << "reset_before t=" << t;
  }
  EXPECT_NEAR(after.masked.layers[0].output.values[0], 0.5f * std::tanh(0.4f), 1e-6);
  EXPECT_NEAR(before.masked.layers[0].output.values[0], 0.5f * std::tanh(0.3f), 1e-6);

  // The records name what each variant multiplies: reset_before multiplies r ⊙ h_{t-1} by the last block.
  const StepRecord& step = steps_of(before.masked.layers[0])[1];
  ASSERT_EQ(step.products.size(), 3u);
  EXPECT_EQ(step.products[1].rhs_part, "[:, :2u]");
  EXPECT_EQ(step.products[2].lhs_name, "r ⊙ h_{t-1}");
  EXPECT_EQ(step.products[2].rhs_part, "[:, 2u:]");
  const float r1 = step.gates[1].value.values[0], h0 = expected(false)[0];
  EXPECT_FLOAT_EQ(step.products[2].lhs.values[0], r1 * h0);
  EXPECT_FLOAT_EQ(step.products[2].result.values[0], r1 * h0 * u);
  // reset_after records h_{t-1}·U for z and r only, and the h~ block as its own term r ⊙ h_h, with
  // h_h = u·h_{t-1} + 0.2: the recurrent product and bias enter the candidate only through r.
  const StepRecord& after_step = steps_of(after.masked.layers[0])[1];
  ASSERT_EQ(after_step.products.size(), 2u);
  EXPECT_EQ(after_step.products[1].rhs_part, "[:, :2u]");
  EXPECT_EQ(after_step.products[1].result.size(), 2u);
  ASSERT_EQ(after_step.gated_terms.size(), 1u);
  const GatedTerm& reset = after_step.gated_terms[0];
  EXPECT_EQ(reset.gate, "r");
  EXPECT_EQ(reset.column, 2u);
  EXPECT_FLOAT_EQ(reset.operand.values[0], expected(true)[0] * u + 0.2f);
  EXPECT_FLOAT_EQ(reset.result.values[0], 0.5f * (expected(true)[0] * u + 0.2f));
  ASSERT_EQ(after_step.biases.size(), 2u);
  EXPECT_EQ(after_step.biases[1].name, "recurrent_bias");
  EXPECT_EQ(after_step.biases[1].value.size(), 2u) << "b_h's h~ part is inside h_h";
}

// Every column of a GRU step table is a sum: the products, gated terms and biases recorded in a column
// add up to that column's pre-activation, for both variants, with random weights and biases.
TEST(ClosedForm, EveryGruPreActivationColumnIsTheSumOfItsRows) {
  for (const char* reset_after : {"true", "false"}) {
    SCOPED_TRACE(std::string("reset_after=") + reset_after);
    const Ran r = run(std::string(R"({"seed": 3, "input": {"values": [[[0.5, -1], [0.3, 0.8], [-0.7, 0.2]]]},
      "layers": [{"type": "GRU", "units": 2, "return_sequences": true, "reset_after": )") + reset_after +
                      R"(, "bias_initializer": "random_uniform"}]})");
    for (const StepRecord& step : steps_of(r.masked.layers[0])) {
      std::vector<double> sum(6, 0.0);
      for (const Product& p : step.products)
        for (std::size_t i = 0; i < p.result.size(); ++i) sum[p.column + i] += p.result.values[i];
      for (const GatedTerm& g : step.gated_terms)
        for (std::size_t i = 0; i < g.result.size(); ++i) sum[g.column + i] += g.result.values[i];
      for (const NamedTensor& b : step.biases)
        for (std::size_t i = 0; i < b.value.size(); ++i) sum[i] += b.value.values[i];
      std::vector<float> pre;
      for (const NamedTensor& z : step.pre_activations) pre.insert(pre.end(), z.value.values.begin(), z.value.values.end());
      ASSERT_EQ(pre.size(), 6u);
      for (std::size_t c = 0; c < 6; ++c) EXPECT_NEAR(sum[c], pre[c], 1e-6) << "t=" << step.t << " column " << c;
      double bias_total = 0;
      for (const NamedTensor& b : step.biases)
        for (float v : b.value.values) bias_total += std::fabs(v);
      EXPECT_GT(bias_total, 0.0) << "non-zero biases, so a missing bias part would show";
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// (3) The walk. A SimpleRNN with one unit, linear, kernel 1, recurrent_kernel 1 and no bias is a
// running sum: h_t = x_t + h_{t-1}. x = [1, 2, 4, 8]; Masking makes a step whose features are all 0
// padding.

std::string running_sum(const std::string& values, const std::string& config) {
  return R"({"input": {"values": )" + values + R"(}, "layers": [{"type": "Masking"},
    {"type": "SimpleRNN", "units": 1, "activation": "linear", "use_bias": false,
     "weights": {"kernel": [[1]], "recurrent_kernel": [[1]]}, )" + config + "}]}";
}

// Mask [1, 1, 0, 0]. Carried: [1, 3, 3, 3]. zero_output_for_mask: [1, 3, 0, 0], and the state still 3.
// With return_sequences=false the last processed step is padding, so zero_output_for_mask makes the
// output 0 while h stays 3: Keras' TF loop applies the zeros whatever return_sequences says.
TEST(Walk, ZeroOutputForMaskZeroesOutputsButKeepsStates) {
  const std::string x = "[[[1], [2], [0], [0]]]";
  EXPECT_EQ(run(running_sum(x, R"("return_sequences": true)")).masked.layers[1].output.values,
            (std::vector<float>{1, 3, 3, 3}));
  const Ran zeroed = run(running_sum(x, R"("return_sequences": true, "zero_output_for_mask": true, "return_state": true)"));
  EXPECT_EQ(zeroed.masked.layers[1].output.values, (std::vector<float>{1, 3, 0, 0}));
  EXPECT_EQ(zeroed.masked.layers[1].states.at(0).value.values, (std::vector<float>{3}));
  EXPECT_EQ(steps_of(zeroed.masked.layers[1])[2].output_source, OutputSource::zeros);
  const Ran last = run(running_sum(x, R"("zero_output_for_mask": true, "return_state": true)"));
  EXPECT_EQ(last.masked.layers[1].output.values, (std::vector<float>{0}));
  EXPECT_EQ(last.masked.layers[1].states.at(0).value.values, (std::vector<float>{3}));
  EXPECT_EQ(run(running_sum(x, "\"return_state\": true")).masked.layers[1].output.values, (std::vector<float>{3}));
}

// go_backwards reads t = 3, 2, 1, 0 and keeps that order: with mask [1, 1, 1, 0] the outputs are
// [0 (t=3 is padding, nothing before it), 4, 4+2, 4+2+1] = [0, 4, 6, 7]. The mask handed on is still
// [1, 1, 1, 0] in input order, so it no longer lines up: position 0 (a padded step's 0) counts, and
// position 3 (the full sum) does not. Keras does the same, and maskviz warns.
TEST(Walk, GoBackwardsKeepsProcessingOrderAndHandsOnTheUnreversedMask) {
  const Ran r = run(running_sum("[[[1], [2], [4], [0]]]", R"("return_sequences": true, "go_backwards": true)"));
  const LayerRecord& rnn = r.masked.layers[1];
  EXPECT_EQ(rnn.output.values, (std::vector<float>{0, 4, 6, 7}));
  Mask want(1, 4);
  want.set(0, 3, false);
  EXPECT_EQ(rnn.output_mask, want);
  EXPECT_EQ(steps_of(rnn)[0].t, 3u);  // k = 0 reads t = 3
  EXPECT_TRUE(steps_of(rnn)[0].masked);
  EXPECT_TRUE(contains(rnn.warnings, "no longer lines up"));
  // Unmasked, the padded step is read as a 0: [0, 4, 6, 7] too, but only because x_3 = 0 and h starts at 0.
  EXPECT_EQ(r.unmasked.layers[1].output.values, (std::vector<float>{0, 4, 6, 7}));
}

std::string bidirectional_sum(const std::string& merge_mode, bool sequences) {
  const std::string w = R"({"kernel": [[1]], "recurrent_kernel": [[1]]})";
  return R"({"input": {"values": [[[1], [2], [4], [0]]]}, "layers": [{"type": "Masking"},
    {"type": "Bidirectional", "merge_mode": ")" + merge_mode + R"(", "weights": {"forward": )" + w +
         R"(, "backward": )" + w + R"(}, "layer": {"type": "SimpleRNN", "units": 1, "activation": "linear",
     "use_bias": false, "return_state": )" + (sequences ? "false" : "true") +
         R"(, "return_sequences": )" + (sequences ? "true" : "false") + "}}]}";
}

// Mask [1, 1, 1, 0]. Bidirectional sets zero_output_for_mask = return_sequences on both halves:
//   forward:  [1, 3, 7, 0]
//   backward: reads t = 3 (padding: 0), 2 (4), 1 (6), 0 (7) -> [0, 4, 6, 7], flipped back: [7, 6, 4, 0]
//   concat [[1,7], [3,6], [7,4], [0,0]]   sum [8, 9, 11, 0]   ave [4, 4.5, 5.5, 0]   mul [7, 18, 28, 0]
// A lone forward RNN would carry 7 into the padded position; here both halves give 0 there.
TEST(Walk, BidirectionalMergeModesAndZerosAtPaddedPositions) {
  EXPECT_EQ(run(bidirectional_sum("concat", true)).masked.layers[1].output.values,
            (std::vector<float>{1, 7, 3, 6, 7, 4, 0, 0}));
  EXPECT_EQ(run(bidirectional_sum("sum", true)).masked.layers[1].output.values, (std::vector<float>{8, 9, 11, 0}));
  EXPECT_EQ(run(bidirectional_sum("ave", true)).masked.layers[1].output.values, (std::vector<float>{4, 4.5, 5.5, 0}));
  EXPECT_EQ(run(bidirectional_sum("mul", true)).masked.layers[1].output.values, (std::vector<float>{7, 18, 28, 0}));
  const Ran concat = run(bidirectional_sum("concat", true));
  const LayerRecord& bi = concat.masked.layers[1];
  ASSERT_EQ(halves_of(bi).size(), 2u);
  EXPECT_EQ(halves_of(bi)[1].output.values, (std::vector<float>{0, 4, 6, 7}));  // the backward half, unflipped
  EXPECT_TRUE(bi.output_mask.has_value());
}

// return_sequences=false: zero_output_for_mask is false on both halves. The forward half's last step
// (t = 3) is padding, so it carries 7; the backward half ends after t = 0 with 7. concat [7, 7], and
// return_state gives the forward h, then the backward h.
TEST(Walk, BidirectionalLastOutputsAndStates) {
  const Ran r = run(bidirectional_sum("concat", false));
  const LayerRecord& bi = r.masked.layers[1];
  EXPECT_EQ(bi.output.values, (std::vector<float>{7, 7}));
  ASSERT_EQ(bi.states.size(), 2u);
  EXPECT_EQ(bi.states[0].name, "forward_h");
  EXPECT_EQ(bi.states[0].value.values, (std::vector<float>{7}));
  EXPECT_EQ(bi.states[1].name, "backward_h");
  EXPECT_EQ(bi.states[1].value.values, (std::vector<float>{7}));
  EXPECT_FALSE(bi.output_mask.has_value());
  EXPECT_EQ(run(bidirectional_sum("sum", false)).masked.layers[1].output.values, (std::vector<float>{14}));
}

// Keras 3 builds the backward copy with go_backwards=True (set, not flipped), so wrapping a layer that
// already goes backwards makes two backward copies, and Keras raises a ValueError.
TEST(Walk, BidirectionalRefusesAWrappedLayerThatGoesBackwards) {
  try {
    load_scenario(R"({"input": {"values": [[[1]]]}, "layers": [{"type": "Bidirectional",
      "layer": {"type": "LSTM", "units": 1, "go_backwards": true}}]})", "behaviour_test");
    FAIL() << "expected a ScenarioError";
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.pointer(), "/layers/0/layer/go_backwards");
    EXPECT_NE(std::string(e.what()).find("go_backwards"), std::string::npos);
  }
}

// ---------------------------------------------------------------------------------------------------
// (4) Pooling and Masking.

// Average pooling with a mask: sample 0 keeps [1, 2] and [3, 4] -> [2, 3]; sample 1 is all padding,
// 0/0 = NaN (no epsilon in Keras), with a warning. Unmasked, sample 0 is [4/3, 2] and sample 1 is 0.
TEST(Pooling, AverageIsTheMaskedMeanAndNaNWhenFullyMasked) {
  const Ran r = run(R"({"input": {"values": [[[1, 2], [3, 4], [0, 0]], [[0, 0], [0, 0], [0, 0]]]},
    "layers": [{"type": "Masking"}, {"type": "GlobalAveragePooling1D"}]})");
  const LayerRecord& gap = r.masked.layers[1];
  EXPECT_EQ(row(gap.output, 0), (std::vector<float>{2, 3}));
  EXPECT_TRUE(std::isnan(gap.output.values[2]) && std::isnan(gap.output.values[3]));
  EXPECT_TRUE(gap.output_has_non_finite);
  EXPECT_TRUE(contains(gap.warnings, "fully masked"));
  EXPECT_EQ(gap.mask_action, MaskAction::consumed);
  EXPECT_FALSE(gap.output_mask.has_value());
  EXPECT_FLOAT_EQ(r.unmasked.layers[1].output.values[0], 4.0f / 3.0f);
  EXPECT_EQ(row(r.unmasked.layers[1].output, 1), (std::vector<float>{0, 0}));
}

// Max pooling does not support masking: Keras warns, drops the mask and takes the max over every
// step. Token 0's row [5, -1] is padding and wins feature 0.
TEST(Pooling, MaxLetsPaddingWinAndKerasWarns) {
  const Ran r = run(R"({"input": {"tokens": [[1, 2, 0]]},
    "layers": [{"type": "Embedding", "input_dim": 3, "output_dim": 2, "mask_zero": true,
                "weights": {"embeddings": [[5, -1], [1, 2], [2, 1]]}},
               {"type": "GlobalMaxPooling1D"}]})");
  const LayerRecord& gmp = r.masked.layers[1];
  EXPECT_EQ(gmp.output.values, (std::vector<float>{5, 2}));
  EXPECT_EQ(gmp.output.values, r.unmasked.layers[1].output.values);
  EXPECT_EQ(gmp.mask_action, MaskAction::dropped);
  EXPECT_TRUE(contains(gmp.warnings, "GlobalMaxPooling1D does not support masking"));
  ASSERT_EQ(reductions_of(gmp).size(), 1u);
  EXPECT_EQ(reductions_of(gmp)[0].argmax, (std::vector<std::size_t>{2, 0}));
  EXPECT_EQ(reductions_of(gmp)[0].argmax_masked, (std::vector<std::uint8_t>{1, 0}));
}

// Masking masks a step only when every feature equals mask_value: [0, 1] is kept as it is, [0, 0]
// is masked (and set to 0), [2, 0] is kept.
TEST(MaskingLayer, OneDifferingFeatureKeepsTheStep) {
  const Ran r = run(R"({"input": {"values": [[[0, 1], [0, 0], [2, 0]]]}, "layers": [{"type": "Masking"}]})");
  Mask want(1, 3);
  want.set(0, 1, false);
  EXPECT_EQ(r.masked.layers[0].output_mask, want);
  EXPECT_EQ(r.masked.layers[0].output.values, (std::vector<float>{0, 1, 0, 0, 2, 0}));
  EXPECT_FALSE(r.unmasked.layers[0].output_mask.has_value());
  // mask_value 2: [2, 0] is kept (0 differs), nothing is masked; values pass unchanged.
  const Ran two = run(R"({"input": {"values": [[[2, 2], [2, 0]]]}, "layers": [{"type": "Masking", "mask_value": 2}]})");
  Mask first_masked(1, 2);
  first_masked.set(0, 0, false);
  EXPECT_EQ(two.masked.layers[0].output_mask, first_masked);
  EXPECT_EQ(two.masked.layers[0].output.values, (std::vector<float>{0, 0, 2, 0}));  // masked steps become 0, not 2
}

// ---------------------------------------------------------------------------------------------------
// (5) Losses, against numbers worked out by hand. terms are per step, reduced over the last axis.

LossRecord loss_of(LossKind kind, bool from_logits, const Tensor& y_pred, const Tensor& target,
                   const OptMask& mask = std::nullopt, const Tensor* keras_logits = nullptr) {
  return compute_loss(LossSpec{kind, from_logits}, y_pred, keras_logits, mask, target);
}

TEST(Losses, MseAndMae) {
  const Tensor y_pred({1, 2}, {0.5f, 1.0f}), target({1, 2}, {1.0f, 1.0f});
  EXPECT_FLOAT_EQ(loss_of(LossKind::mse, false, y_pred, target).value, 0.125f);  // (0.25 + 0) / 2
  EXPECT_FLOAT_EQ(loss_of(LossKind::mae, false, y_pred, target).value, 0.25f);   // (0.5 + 0) / 2
}

TEST(Losses, BinaryCrossentropyFromProbabilitiesAndLogits) {
  // p = [0.8, 0.3], y = [1, 0]: -(log 0.8 + log 0.7) / 2
  EXPECT_NEAR(loss_of(LossKind::binary_crossentropy, false, Tensor({1, 2}, {0.8f, 0.3f}), Tensor({1, 2}, {1, 0})).value,
              -(std::log(0.8) + std::log(0.7)) / 2, 1e-6);
  // p = 1 is clipped to 1 - 1e-7, which is 0.99999988 in float32: -log(1.19e-7) = 15.94 for y = 0.
  EXPECT_NEAR(loss_of(LossKind::binary_crossentropy, false, Tensor({1, 1}, {1.0f}), Tensor({1, 1}, {0})).value,
              -std::log(1.0 - static_cast<double>(1.0f - 1e-7f)), 1e-4);
  // logits x = [0, 2], y = [1, 0]: max(x,0) - x·y + log(1 + e^-|x|) = [log 2, 2 + log(1 + e^-2)]
  EXPECT_NEAR(loss_of(LossKind::binary_crossentropy, true, Tensor({1, 2}, {0.0f, 2.0f}), Tensor({1, 2}, {1, 0})).value,
              (std::log(2.0) + 2.0 + std::log1p(std::exp(-2.0))) / 2, 1e-6);
}

TEST(Losses, CategoricalCrossentropyNormalizesProbabilities) {
  // [0.4, 0.6, 1.0] is rescaled to sum 1: [0.2, 0.3, 0.5]; y = class 2: -log 0.5
  EXPECT_NEAR(loss_of(LossKind::categorical_crossentropy, false, Tensor({1, 3}, {0.4f, 0.6f, 1.0f}),
                      Tensor({1, 3}, {0, 0, 1})).value, std::log(2.0), 1e-6);
  // logits [1, 2, 3], class 2: logsumexp - 3 = log(e + e² + e³) - 3
  EXPECT_NEAR(loss_of(LossKind::categorical_crossentropy, true, Tensor({1, 3}, {1, 2, 3}), Tensor({1, 3}, {0, 0, 1})).value,
              std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)) - 3.0, 1e-6);
}

TEST(Losses, SparseCategoricalCrossentropyTakesLogsOfClippedProbabilities) {
  // Probabilities [0.2, 0.3, 0.5], label 2: log p, then softmax cross-entropy: logsumexp(log p) - log 0.5
  // = log(1) - log 0.5 = log 2.
  EXPECT_NEAR(loss_of(LossKind::sparse_categorical_crossentropy, false, Tensor({1, 3}, {0.2f, 0.3f, 0.5f}),
                      Tensor({1}, {2})).value, std::log(2.0), 1e-6);
  // Not normalized first, but the softmax over log p normalizes: [0.4, 0.6, 1.0] gives log(2.0 / 1.0) too.
  EXPECT_NEAR(loss_of(LossKind::sparse_categorical_crossentropy, false, Tensor({1, 3}, {0.4f, 0.6f, 1.0f}),
                      Tensor({1}, {2})).value, std::log(2.0), 1e-6);
  // A zero probability is clipped to 1e-7: [0, 1], label 0: logsumexp(log 1e-7, log 1) - log 1e-7.
  EXPECT_NEAR(loss_of(LossKind::sparse_categorical_crossentropy, false, Tensor({1, 2}, {0.0f, 1.0f}), Tensor({1}, {0})).value,
              std::log(1.0 + 1e-7) - std::log(1e-7), 1e-3);
  // Logits [1, 2, 3], label 0: logsumexp - 1.
  EXPECT_NEAR(loss_of(LossKind::sparse_categorical_crossentropy, true, Tensor({1, 3}, {1, 2, 3}), Tensor({1}, {0})).value,
              std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)) - 1.0, 1e-6);
}

// With a mask, kept terms weigh N/V and masked ones 0, and the sum is divided by N: the mean over the
// kept terms. Terms [1, 2, 3, 4] (mse of a one-feature step), mask [1, 1, 0, 0]: weights [2, 2, 0, 0],
// loss = (2 + 4) / 4 = 1.5 = (1 + 2) / 2. A fully masked batch: V = 0, N/V is 0 (divide_no_nan), loss 0.
TEST(Losses, MaskWeightsAreNOverVAndZeroWhenNothingIsKept) {
  const Tensor y_pred({1, 4, 1}, {1, std::sqrt(2.0f), std::sqrt(3.0f), 2}), target({1, 4, 1}, {0, 0, 0, 0});
  Mask mask(1, 4);
  mask.set(0, 2, false);
  mask.set(0, 3, false);
  const LossRecord r = loss_of(LossKind::mse, false, y_pred, target, mask);
  EXPECT_EQ(r.weights, (std::vector<float>{2, 2, 0, 0}));
  EXPECT_EQ(r.valid, 2u);
  EXPECT_EQ(r.total, 4u);
  EXPECT_NEAR(r.value, 1.5, 1e-6);
  const LossRecord none = loss_of(LossKind::mse, false, y_pred, target, Mask(1, 4, false));
  EXPECT_EQ(none.valid, 0u);
  EXPECT_EQ(none.weights, (std::vector<float>{0, 0, 0, 0}));
  EXPECT_EQ(none.value, 0.0f);
  // Without a mask every term weighs 1: (1 + 2 + 3 + 4) / 4.
  EXPECT_NEAR(loss_of(LossKind::mse, false, y_pred, target).value, 2.5, 1e-6);
}

// A final sigmoid keeps its input as `_keras_logits`, and the TF backend's crossentropy reads it: with
// z = 20, sigmoid(z) rounds to 1.0f, so from the probability, clipped to 1 - 1e-7 (0.99999988 in float32),
// bce would be -log(1 - 0.99999988) = 15.94 for y = 0,
// but from the logit it is 20 + log(1 + e^-20) = 20.0000. Dropout (at inference) and Activation("linear")
// return their input itself, so the logits survive them; Flatten makes a new tensor, and they do not.
TEST(Losses, FinalSigmoidMakesCrossentropyUseTheLogits) {
  const auto scenario = [](const std::string& after) {
    return R"({"input": {"values": [[[1]]]}, "layers": [{"type": "Dense", "units": 1, "activation": "sigmoid",
      "weights": {"kernel": [[20]], "bias": [0]}})" + after + R"(], "target": )" +
           (after.find("Flatten") != std::string::npos ? "[[0]]" : "[[[0]]]") +
           R"(, "loss": "binary_crossentropy"})";
  };
  for (const std::string after : {"", R"(, {"type": "Dropout", "rate": 0.5})", R"(, {"type": "Activation", "activation": "linear"})"}) {
    SCOPED_TRACE(after);
    const Ran r = run(scenario(after), Detail::outputs);
    ASSERT_TRUE(r.masked.loss);
    EXPECT_TRUE(r.masked.loss->used_keras_logits);
    EXPECT_NEAR(r.masked.loss->value, 20.0, 1e-4);
  }
  const Ran flattened = run(scenario(R"(, {"type": "Flatten"})"), Detail::outputs);
  EXPECT_FALSE(flattened.masked.loss->used_keras_logits);
  EXPECT_NEAR(flattened.masked.loss->value, -std::log(1.0 - static_cast<double>(1.0f - 1e-7f)), 1e-4);
  // mse never reads logits.
  const Ran mse = run(R"({"input": {"values": [[[1]]]}, "layers": [{"type": "Dense", "units": 1,
    "activation": "sigmoid", "weights": {"kernel": [[20]], "bias": [0]}}], "target": [[[0]]], "loss": "mse"})",
                      Detail::outputs);
  EXPECT_FALSE(mse.masked.loss->used_keras_logits);
  EXPECT_NEAR(mse.masked.loss->value, 1.0, 1e-6);
}

// A final softmax: categorical crossentropy from its logits. Logits [0, 0, 100] -> softmax [0, 0, 1]
// exactly in float32; class 0 from probabilities would be -log(1e-7) = 16.1 (the clip), from logits 100.
TEST(Losses, FinalSoftmaxMakesCategoricalCrossentropyUseTheLogits) {
  const Ran r = run(R"({"input": {"values": [[[1]]]}, "layers": [{"type": "Dense", "units": 3, "activation": "softmax",
    "weights": {"kernel": [[0, 0, 100]], "bias": [0, 0, 0]}}], "target": [[[1, 0, 0]]],
    "loss": {"name": "categorical_crossentropy", "from_logits": true}})", Detail::outputs);
  EXPECT_TRUE(r.masked.loss->used_keras_logits);
  EXPECT_TRUE(r.masked.loss->from_logits);
  EXPECT_NEAR(r.masked.loss->value, 100.0, 1e-3);
  // from_logits=True on a softmax's output: Keras warns that it does not look like logits (and then
  // reads the logits behind the softmax anyway, once).
  EXPECT_TRUE(contains(r.masked.loss->warnings, "received `from_logits=True`"));
}

// One class: every prediction normalizes to 1, clipped to 1 - 1e-7 (0.99999988 in float32), so every
// term is -log(0.99999988) = 1.19e-7 whatever the model says, and Keras warns.
TEST(Losses, CategoricalCrossentropyOfOneClassWarns) {
  const LossRecord r = loss_of(LossKind::categorical_crossentropy, false, Tensor({2, 1}, {0.3f, 0.9f}), Tensor({2, 1}, {1, 1}));
  for (const float term : r.terms) EXPECT_NEAR(term, -std::log(static_cast<double>(1.0f - 1e-7f)), 1e-9);
  EXPECT_TRUE(contains(r.warnings, "num_classes > 1"));
  EXPECT_TRUE(loss_of(LossKind::categorical_crossentropy, false, Tensor({1, 2}, {0.3f, 0.7f}), Tensor({1, 2}, {0, 1})).warnings.empty());
}

}  // namespace
}  // namespace maskviz
