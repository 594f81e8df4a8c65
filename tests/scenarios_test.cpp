// Every bundled scenario (scenarios/*.json) loads, runs, and shows what its description promises.
// Each behaviour test reads the record of both runs and asserts the numbers a learner is told to look
// for: "row 1 equals row 0" is checked bit for bit, because carry-over copies, it does not recompute.
//
// Shapes: RNN outputs with return_sequences are [B, T, H], row(b*T + t) is one step; without, [B, H].
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <set>
#include <sstream>

#include "record_access.h"
#include "engine/engine.h"
#include "scenario/scenario.h"
#include "test_names.h"

namespace maskviz {
namespace {

namespace fs = std::filesystem;
using Row = std::vector<float>;

fs::path scenario_dir() { return fs::path(MASKVIZ_SOURCE_DIR) / "scenarios"; }

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> scenario_files() {
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(scenario_dir()))
    if (entry.path().extension() == ".json") files.push_back(entry.path().filename().string());
  std::sort(files.begin(), files.end());
  return files;
}

// One scenario, loaded and run at full detail. The Trace points at the Scenario, so both live here.
class Case {
 public:
  explicit Case(const std::string& file)
      : scenario_(std::make_unique<Scenario>(load_scenario(read_text(scenario_dir() / file), file))),
        trace_(run_both(*scenario_, Detail::full)) {}

  const Scenario& scenario() const { return *scenario_; }
  const RunRecord& masked() const { return trace_.masked; }
  const RunRecord& unmasked() const { return trace_.unmasked; }
  const LayerRecord& masked(const std::string& layer) const { return find(trace_.masked, layer); }
  const LayerRecord& unmasked(const std::string& layer) const { return find(trace_.unmasked, layer); }

 private:
  static const LayerRecord& find(const RunRecord& run, const std::string& name) {
    for (const auto& layer : run.layers)
      if (layer.name == name) return layer;
    throw std::runtime_error("no layer " + name);
  }
  std::unique_ptr<Scenario> scenario_;
  Trace trace_;
};

// Output row of sequence b at step t ([B, T, H]), or of sequence b ([B, H]) when t is omitted.
Row row(const Tensor& output, std::size_t b, std::size_t t) {
  const std::size_t T = output.dim(1), H = output.row_length();
  return Row(output.row(b * T + t), output.row(b * T + t) + H);
}
Row row(const Tensor& output, std::size_t b) { return Row(output.row(b), output.row(b) + output.row_length()); }
Row at(const LayerRecord& layer, std::size_t b, std::size_t t) { return row(layer.output, b, t); }

// The step record of sequence b at processing position k.
const StepRecord& step(const LayerRecord& layer, std::size_t b, std::size_t k) {
  const std::size_t T = layer.input_shape.at(1);
  return steps_of(layer).at(b * T + k);
}

std::vector<Row> kept_states(const StepRecord& s) {
  std::vector<Row> out;
  for (const auto& state : s.kept_states) out.push_back(state.value.values);
  return out;
}

Row weight_row(const LayerRecord& layer, const std::string& name, std::size_t r) {
  for (const auto& w : layer.weights)
    if (w.name == name) return row(w.value, r);
  throw std::runtime_error("no weight " + name);
}

bool all_zero(const Row& r) {
  return std::all_of(r.begin(), r.end(), [](float v) { return v == 0.0f; });
}

Mask mask_of(std::initializer_list<std::initializer_list<int>> rows) {
  Mask m(rows.size(), rows.begin()->size());
  std::size_t b = 0;
  for (const auto& r : rows) {
    std::size_t t = 0;
    for (int keep : r) m.set(b, t++, keep != 0);
    ++b;
  }
  return m;
}

void expect_rows_near(const Row& got, const Row& want, double tolerance) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tolerance) << "element " << i;
}

// The carry-over a learner is told to look for: at each masked step the output and every state are
// those of the step before, bit for bit, while the cell's own (discarded) result is different.
void expect_carried_over(const LayerRecord& rnn, std::size_t b, std::size_t k) {
  SCOPED_TRACE("step k=" + std::to_string(k));
  const StepRecord& now = step(rnn, b, k);
  const StepRecord& before = step(rnn, b, k - 1);
  EXPECT_TRUE(now.masked);
  EXPECT_TRUE(now.carried_over);
  EXPECT_EQ(now.output_source, OutputSource::previous_output);
  EXPECT_EQ(now.output.values, before.output.values);
  EXPECT_EQ(kept_states(now), kept_states(before));
  EXPECT_NE(now.candidate_output.values, now.output.values) << "the cell was computed and its result thrown away";
}

// ---------------------------------------------------------------------------------------------------
// Every scenario: the conventions of scenarios/ (docs/scenario-format.md), then it loads and runs.

class EveryScenario : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryScenario, FollowsTheConventionsAndRuns) {
  const std::string file = GetParam();
  const Json doc = Json::parse(read_text(scenario_dir() / file));
  std::smatch parts;
  ASSERT_TRUE(std::regex_match(file, parts, std::regex(R"(([0-9]{2})[a-z]?-([a-z0-9-]+)\.json)")))
      << "expected NN-short-name.json or NNx-short-name.json";
  EXPECT_EQ(doc.value("maskviz", 0), 1);
  EXPECT_EQ(doc.value("name", ""), parts[2].str()) << "the name is the file name without number and extension";
  EXPECT_TRUE(doc.contains("seed")) << "a fixed seed, so that the drawn weights never change";
  const std::string description = doc.value("description", "");
  EXPECT_NE(description.find("Question: "), std::string::npos) << "say which question it answers";
  EXPECT_NE(description.find("Look for: "), std::string::npos) << "say what to look for";

  const Case c(file);
  const Scenario& s = c.scenario();
  EXPECT_LE(s.input.dim(0), 3u) << "batch <= 3 keeps the output readable";
  EXPECT_LE(s.input.dim(1), 6u) << "time <= 6";
  for (const auto& layer : c.masked().layers) {
    const Json& config = layer.config;
    const Json& units = config.contains("layer") ? config["layer"]["units"] : config.value("units", Json(0));
    EXPECT_LE(units.get<int>(), 4) << layer.name << ": units <= 4";
  }
  EXPECT_EQ(c.masked().layers.size(), s.layers.size());
  EXPECT_EQ(c.unmasked().layers.size(), s.layers.size());
}

TEST(Scenarios, EveryQuestionOfTheIssueHasOne) {
  std::set<int> numbers;
  for (const auto& file : scenario_files()) numbers.insert(std::stoi(file.substr(0, 2)));
  for (int n = 1; n <= 14; ++n) EXPECT_TRUE(numbers.count(n)) << "no scenario numbered " << n;
}

// docs/scenario-format.md promises that each complete example (a ```json block with "maskviz") runs.
TEST(ScenarioFormatDoc, EveryCompleteExampleLoadsAndRuns) {
  const std::string doc = read_text(fs::path(MASKVIZ_SOURCE_DIR) / "docs" / "scenario-format.md");
  const std::regex block(R"(```json\n([\s\S]*?)```)");
  std::size_t examples = 0;
  for (auto it = std::sregex_iterator(doc.begin(), doc.end(), block); it != std::sregex_iterator(); ++it) {
    const std::string text = (*it)[1].str();
    if (text.find("\"maskviz\"") == std::string::npos) continue;  // a fragment, not a whole scenario
    ++examples;
    SCOPED_TRACE(text);
    EXPECT_NO_THROW({
      const Scenario scenario = load_scenario(text, "docs/scenario-format.md");
      const Trace trace = run_both(scenario, Detail::full);
      EXPECT_EQ(trace.masked.layers.size(), scenario.layers.size());
    });
  }
  EXPECT_GE(examples, 12u) << "one example per layer type";
}

INSTANTIATE_TEST_SUITE_P(Bundled, EveryScenario, ::testing::ValuesIn(scenario_files()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return gtest_name(info.param.substr(0, info.param.size() - 5));
                         });

// ---------------------------------------------------------------------------------------------------
// What each description promises.

TEST(Scenario01ForumFlatten, FlattenDropsTheMaskSoBothRunsAreIdentical) {
  const Case c("01-forum-flatten.json");
  const LayerRecord& embedding = c.masked("embedding");
  EXPECT_EQ(embedding.output_mask, mask_of({{1, 1, 0}}));
  // Token 0 still looks up row 0, a real vector.
  EXPECT_EQ(at(embedding, 0, 2), weight_row(embedding, "embeddings", 0));
  EXPECT_FALSE(all_zero(at(embedding, 0, 2)));

  const LayerRecord& flatten = c.masked("flatten");
  EXPECT_EQ(flatten.mask_action, MaskAction::dropped);
  EXPECT_FALSE(flatten.warnings.empty());
  EXPECT_FALSE(flatten.output_mask.has_value());
  for (const char* name : {"flatten", "dense", "dense_1"})
    EXPECT_EQ(c.masked(name).output.values, c.unmasked(name).output.values) << name;
  EXPECT_EQ(c.masked("dense_1").output.shape, (Shape{1, 1}));
}

TEST(Scenario02ForumLstm, MaskedStepsRepeatThePreviousOutputAndStates) {
  const Case c("02-forum-lstm.json");
  const LayerRecord& lstm = c.masked("lstm");
  EXPECT_EQ(lstm.output_mask, mask_of({{1, 0, 1, 0}}));
  EXPECT_EQ(at(lstm, 0, 1), at(lstm, 0, 0));
  EXPECT_EQ(at(lstm, 0, 3), at(lstm, 0, 2));
  EXPECT_NE(at(lstm, 0, 2), at(lstm, 0, 0));
  expect_carried_over(lstm, 0, 1);
  expect_carried_over(lstm, 0, 3);
  EXPECT_EQ(step(lstm, 0, 1).kept_states.size(), 2u) << "h and c are both kept";
  // Without the mask, embedding row 0 is read at steps 1 and 3 and moves the state.
  const LayerRecord& plain = c.unmasked("lstm");
  EXPECT_NE(at(plain, 0, 1), at(plain, 0, 0));
  EXPECT_NE(at(plain, 0, 3), at(plain, 0, 2));
}

TEST(Scenario03ForumLoss, MaskedLossIsTheMeanOverTheFirstTwoSteps) {
  const Case c("03-forum-loss.json");
  const LayerRecord& dense = c.masked("dense");
  EXPECT_EQ(dense.mask_action, MaskAction::passed_on);
  EXPECT_EQ(at(dense, 0, 2), at(dense, 0, 3)) << "both padded rows come from embedding row 0";
  const Tensor& target = *c.scenario().target;
  double first_two = 0, all_four = 0;  // squared errors summed over the features
  for (std::size_t t = 0; t < 4; ++t)
    for (std::size_t f = 0; f < 3; ++f) {
      const double e = double(target.row(t)[f]) - double(dense.output.row(t)[f]);
      (t < 2 ? first_two : all_four) += e * e;
    }
  all_four += first_two;
  const LossRecord& loss = *c.masked().loss;
  EXPECT_EQ(loss.valid, 2u);
  EXPECT_EQ(loss.total, 4u);
  EXPECT_EQ(loss.weights, (std::vector<float>{2, 2, 0, 0}));
  EXPECT_NEAR(loss.value, first_two / 6.0, 1e-5 * first_two / 6.0);  // the thread's np.square(...[0:2]).mean()
  EXPECT_NEAR(c.unmasked().loss->value, all_four / 12.0, 1e-5 * all_four / 12.0);
  EXPECT_GT(c.unmasked().loss->value, loss.value) << "steps 2 and 3 have the largest targets";
}

TEST(Scenario04MaskingLayer, OnlyAllZeroStepsAreMasked) {
  const Case c("04-masking-layer.json");
  const LayerRecord& masking = c.masked("masking");
  EXPECT_EQ(masking.output_mask, mask_of({{1, 1, 1, 0, 1, 0}}));
  EXPECT_EQ(at(masking, 0, 1), (Row{0.0f, 0.6f, -0.3f})) << "a step with one zero feature passes unchanged";
  const LayerRecord& lstm = c.masked("lstm");
  EXPECT_EQ(lstm.output.shape, (Shape{1, 3}));
  expect_carried_over(lstm, 0, 3);
  expect_carried_over(lstm, 0, 5);
  EXPECT_EQ(row(lstm.output, 0), step(lstm, 0, 4).output.values) << "the last output is step 4's, carried over";
  EXPECT_FALSE(lstm.output_mask.has_value());
  EXPECT_NE(row(c.unmasked("lstm").output, 0), row(lstm.output, 0));
}

TEST(Scenario05ZeroPadding, EmbeddingRowZeroBiasAndRecurrentTermMoveTheState) {
  const Case tokens("05a-zero-padding-tokens.json");
  const LayerRecord& embedding = tokens.unmasked("embedding");
  EXPECT_FALSE(all_zero(at(embedding, 0, 2))) << "token 0 looks up a real row";
  const LayerRecord& plain = tokens.unmasked("simple_rnn");
  EXPECT_NE(at(plain, 0, 2), at(plain, 0, 1));
  EXPECT_NE(at(plain, 0, 3), at(plain, 0, 2));
  EXPECT_FALSE(all_zero(step(plain, 0, 2).products.at(0).result.values)) << "row 0 times kernel";
  const LayerRecord& rnn = tokens.masked("simple_rnn");
  expect_carried_over(rnn, 0, 2);
  expect_carried_over(rnn, 0, 3);

  const Case values("05b-zero-padding-values.json");
  const LayerRecord& zero_input = values.unmasked("simple_rnn");
  for (std::size_t k : {2, 3}) {
    const StepRecord& s = step(zero_input, 0, k);
    ASSERT_EQ(s.products.at(0).lhs_name, "x_t");
    EXPECT_TRUE(all_zero(s.products.at(0).result.values)) << "x_t is zero, so x_t·kernel is exactly zero";
    EXPECT_FALSE(all_zero(s.products.at(1).result.values)) << "h_{t-1}·recurrent_kernel is not";
    EXPECT_NE(s.output.values, step(zero_input, 0, k - 1).output.values) << "so the state still moves";
  }
  // With a zero input, the step is h = tanh(b + h_{t-1}·U): check it by hand.
  const StepRecord& s2 = step(zero_input, 0, 2);
  const Row bias = weight_row(zero_input, "bias", 0);
  for (std::size_t i = 0; i < 3; ++i)
    EXPECT_NEAR(s2.output.values[i], std::tanh(bias[i] + s2.products[1].result.values[i]), 1e-6);
  expect_carried_over(values.masked("simple_rnn"), 0, 2);
  expect_carried_over(values.masked("simple_rnn"), 0, 3);
}

TEST(Scenario06MaskingIsNotDropout, MaskingCopiesZeroingOutputsDoesNot) {
  const Case masking("06a-masking-is-not-dropout.json");
  const LayerRecord& rnn = masking.masked("simple_rnn");
  const LayerRecord& plain = masking.unmasked("simple_rnn");
  ASSERT_EQ(rnn.weights.size(), plain.weights.size());
  for (std::size_t i = 0; i < rnn.weights.size(); ++i)
    EXPECT_EQ(rnn.weights[i].value.values, plain.weights[i].value.values) << "masking changes no weight";
  EXPECT_FALSE(all_zero(rnn.weights[0].value.values));
  EXPECT_EQ(at(rnn, 0, 1), at(rnn, 0, 0));
  expect_carried_over(rnn, 0, 1);
  EXPECT_NE(at(plain, 0, 1), at(plain, 0, 0)) << "a zeroed input is still processed";

  const Case zeroed("06b-zeroed-outputs.json");
  const LayerRecord& z = zeroed.masked("simple_rnn");
  EXPECT_TRUE(all_zero(at(z, 0, 1)));
  EXPECT_EQ(step(z, 0, 1).output_source, OutputSource::zeros);
  EXPECT_EQ(kept_states(step(z, 0, 1)), kept_states(step(z, 0, 0))) << "the state is still carried over";
  EXPECT_EQ(at(z, 0, 2), at(rnn, 0, 2));
  EXPECT_EQ(at(z, 0, 3), at(rnn, 0, 3));
}

TEST(Scenario07Padding, PostAndPrePaddingGiveTheSameLastOutputOnlyWithTheMask) {
  const Case post("07a-post-padding.json");
  const Case pre("07b-pre-padding.json");
  const LayerRecord& post_lstm = post.masked("lstm");
  const LayerRecord& pre_lstm = pre.masked("lstm");
  EXPECT_EQ(row(post_lstm.output, 0), step(post_lstm, 0, 2).output.values) << "step 2 carried through the padding";
  EXPECT_EQ(row(pre_lstm.output, 0), step(pre_lstm, 0, 4).output.values);
  for (std::size_t k : {0, 1}) {
    const StepRecord& s = step(pre_lstm, 0, k);
    EXPECT_EQ(s.output_source, OutputSource::previous_output);
    EXPECT_TRUE(all_zero(s.output.values)) << "leading padding: the previous output is the initial zeros";
    for (const auto& state : s.kept_states) EXPECT_TRUE(all_zero(state.value.values)) << state.name;
  }
  expect_rows_near(row(pre_lstm.output, 0), row(post_lstm.output, 0), 1e-6);
  EXPECT_FALSE(all_zero(row(post_lstm.output, 0)));
  EXPECT_NE(row(post.unmasked("lstm").output, 0), row(post_lstm.output, 0));
  EXPECT_NE(row(pre.unmasked("lstm").output, 0), row(pre_lstm.output, 0));
  EXPECT_NE(row(pre.unmasked("lstm").output, 0), row(post.unmasked("lstm").output, 0));
}

TEST(Scenario08GoBackwards, UnmaskedBackwardsReadingSpoilsEveryRealStep) {
  const Case backwards("08a-go-backwards.json");
  const LayerRecord& rnn = backwards.masked("lstm");
  const LayerRecord& plain = backwards.unmasked("lstm");
  for (std::size_t k : {0, 1}) {  // t = 4, 3: the padding, read first
    EXPECT_EQ(step(rnn, 0, k).t, 4 - k);
    EXPECT_TRUE(all_zero(step(rnn, 0, k).output.values));
  }
  for (std::size_t k = 2; k < 5; ++k)  // every real token, t = 2, 1, 0
    EXPECT_NE(step(plain, 0, k).output.values, step(rnn, 0, k).output.values) << "k=" << k;
  EXPECT_EQ(row(rnn.output, 0), step(rnn, 0, 4).output.values) << "the last output is the one after t = 0";

  // Forwards (07a), the unmasked run is right at every real step and wrong only after them.
  const Case forwards("07a-post-padding.json");
  for (std::size_t k = 0; k < 3; ++k)
    EXPECT_EQ(step(forwards.unmasked("lstm"), 0, k).output.values, step(forwards.masked("lstm"), 0, k).output.values);
}

TEST(Scenario08Bidirectional, PaddedPositionsAreZeroInBothHalves) {
  const Case c("08b-bidirectional.json");
  const LayerRecord& bi = c.masked("bidirectional");
  const LayerRecord& plain = c.unmasked("bidirectional");
  EXPECT_EQ(bi.output.shape, (Shape{2, 5, 4}));
  const Mask mask = mask_of({{1, 1, 1, 0, 0}, {1, 1, 0, 0, 0}});
  EXPECT_EQ(bi.output_mask, mask);
  for (std::size_t b = 0; b < 2; ++b)
    for (std::size_t t = 0; t < 5; ++t) {
      SCOPED_TRACE("b=" + std::to_string(b) + " t=" + std::to_string(t));
      EXPECT_EQ(all_zero(at(bi, b, t)), !mask.at(b, t));
      EXPECT_FALSE(all_zero(at(plain, b, t)));
    }
  // The backward half starts at the last real token from a zero state.
  const LayerRecord& backward = halves_of(bi).at(1);
  const StepRecord& first_real = step(backward, 0, 2);
  EXPECT_EQ(first_real.t, 2u);
  for (const auto& state : first_real.prev_states) EXPECT_TRUE(all_zero(state.value.values)) << state.name;
  const StepRecord& first_real_plain = step(halves_of(plain).at(1), 0, 2);
  EXPECT_FALSE(all_zero(first_real_plain.prev_states.at(0).value.values));
}

TEST(Scenario09Pooling, AverageRespectsTheMaskMaxDoesNot) {
  const Case average("09a-average-pooling.json");
  const LayerRecord& embedding = average.masked("embedding");
  const Row e0 = weight_row(embedding, "embeddings", 0), e1 = weight_row(embedding, "embeddings", 1),
            e2 = weight_row(embedding, "embeddings", 2), e3 = weight_row(embedding, "embeddings", 3);
  const LayerRecord& gap = average.masked("global_average_pooling1d");
  EXPECT_EQ(gap.mask_action, MaskAction::consumed);
  EXPECT_FALSE(gap.output_mask.has_value());
  for (std::size_t f = 0; f < 3; ++f) {
    EXPECT_FLOAT_EQ(gap.output.row(0)[f], (e1[f] + e2[f]) / 2);
    EXPECT_FLOAT_EQ(gap.output.row(1)[f], e3[f]);
    EXPECT_NEAR(average.unmasked("global_average_pooling1d").output.row(0)[f], (e1[f] + e2[f] + 2 * e0[f]) / 4,
                1e-7);
  }

  const Case max("09b-max-pooling.json");
  const LayerRecord& gmp = max.masked("global_max_pooling1d");
  EXPECT_EQ(gmp.mask_action, MaskAction::dropped);
  EXPECT_FALSE(gmp.warnings.empty());
  EXPECT_EQ(gmp.output.values, max.unmasked("global_max_pooling1d").output.values);
  for (std::size_t b = 0; b < 2; ++b) {
    EXPECT_EQ(gmp.output.row(b)[0], 0.048f) << "the padding row wins feature 0";
    EXPECT_TRUE(reductions_of(gmp).at(b).argmax_masked.at(0));
  }
  EXPECT_EQ(gmp.output.row(0)[1], 0.037f) << "a valid row wins feature 1";
}

TEST(Scenario10Cells, GruVariantsAndSimpleRnnCarryOverTheSameWay) {
  const Case after("10a-gru-reset-after.json");
  const Case before("10b-gru-reset-before.json");
  const Case simple("10c-simple-rnn.json");
  const LayerRecord& gru_after = after.masked("gru");
  const LayerRecord& gru_before = before.masked("gru");
  EXPECT_EQ(gru_after.weights.at(2).value.shape, (Shape{2, 9}));
  EXPECT_EQ(gru_before.weights.at(2).value.shape, (Shape{9}));
  for (const LayerRecord* rnn : {&gru_after, &gru_before, &simple.masked("simple_rnn")}) {
    SCOPED_TRACE(rnn->type);
    expect_carried_over(*rnn, 0, 1);
    expect_carried_over(*rnn, 0, 2);
    EXPECT_EQ(at(*rnn, 0, 2), at(*rnn, 0, 0));
    EXPECT_NE(at(*rnn, 0, 3), at(*rnn, 0, 0));
  }
  // h_{t-1} = 0 and zero biases: the variants agree at step 0, and part from step 3.
  expect_rows_near(at(gru_after, 0, 0), at(gru_before, 0, 0), 1e-7);
  EXPECT_GT(std::fabs(at(gru_after, 0, 3)[0] - at(gru_before, 0, 3)[0]) +
                std::fabs(at(gru_after, 0, 3)[1] - at(gru_before, 0, 3)[1]) +
                std::fabs(at(gru_after, 0, 3)[2] - at(gru_before, 0, 3)[2]),
            1e-6);
}

TEST(Scenario11BatchOfLengths, EachSequenceCarriesItsOwnPaddingAndTheLossIsATokenMean) {
  const Case c("11-batch-of-lengths.json");
  const LayerRecord& lstm = c.masked("lstm");
  for (std::size_t k = 4; k < 6; ++k) expect_carried_over(lstm, 1, k);
  for (std::size_t k = 2; k < 6; ++k) expect_carried_over(lstm, 2, k);
  for (std::size_t k = 1; k < 6; ++k) EXPECT_FALSE(step(lstm, 0, k).masked);

  const LossRecord& loss = *c.masked().loss;
  EXPECT_EQ(loss.total, 18u);
  EXPECT_EQ(loss.valid, 12u);
  const std::vector<std::size_t> lengths = {6, 4, 2};
  double valid_sum = 0, mean_of_means = 0;
  for (std::size_t b = 0; b < 3; ++b) {
    double sequence_sum = 0;
    for (std::size_t t = 0; t < 6; ++t) {
      EXPECT_EQ(loss.weights[b * 6 + t], t < lengths[b] ? 1.5f : 0.0f);
      if (t < lengths[b]) sequence_sum += loss.terms[b * 6 + t];
    }
    valid_sum += sequence_sum;
    mean_of_means += sequence_sum / double(lengths[b]) / 3.0;
  }
  EXPECT_NEAR(loss.value, valid_sum / 12.0, 1e-6);
  EXPECT_GT(std::fabs(loss.value - mean_of_means), 1e-4) << "a token mean, not a mean of sequence means";
  double all_sum = 0;
  for (float term : c.unmasked().loss->terms) all_sum += term;
  EXPECT_NEAR(c.unmasked().loss->value, all_sum / 18.0, 1e-6);
}

TEST(Scenario12FullyMasked, ZerosAndAZeroLossButNaNInAveragePooling) {
  const Case loss_case("12a-fully-masked-loss.json");
  EXPECT_TRUE(all_zero(loss_case.masked("lstm").output.values));
  EXPECT_TRUE(all_zero(loss_case.masked("dense").output.values));
  const LossRecord& loss = *loss_case.masked().loss;
  EXPECT_EQ(loss.valid, 0u);
  EXPECT_EQ(loss.value, 0.0f);
  EXPECT_GT(loss_case.unmasked().loss->value, 0.0f);

  const Case average("12b-fully-masked-average.json");
  const LayerRecord& gap = average.masked("global_average_pooling1d");
  for (std::size_t f = 0; f < 3; ++f) {
    EXPECT_TRUE(std::isnan(gap.output.row(1)[f]));
    EXPECT_TRUE(std::isfinite(gap.output.row(0)[f]));
    EXPECT_TRUE(std::isfinite(average.unmasked("global_average_pooling1d").output.row(1)[f]));
  }
  EXPECT_TRUE(gap.output_has_non_finite);
  EXPECT_FALSE(gap.warnings.empty());
}

TEST(Scenario13PassingIsNotUsing, DenseAndActivationComputePaddedStepsConsumersSkipThem) {
  const Case c("13-passing-is-not-using.json");
  const LayerRecord& dense = c.masked("dense");
  const LayerRecord& activation = c.masked("activation");
  const Row bias = weight_row(dense, "bias", 0);
  EXPECT_TRUE(all_zero(at(c.masked("masking"), 0, 1)));
  for (std::size_t t : {1, 4}) {
    EXPECT_EQ(at(dense, 0, t), bias) << "0 · kernel + bias";
    for (std::size_t i = 0; i < 3; ++i) EXPECT_FLOAT_EQ(at(activation, 0, t)[i], std::tanh(bias[i]));
  }
  EXPECT_EQ(dense.mask_action, MaskAction::passed_on);
  EXPECT_EQ(activation.mask_action, MaskAction::passed_on);
  const LayerRecord& lstm = c.masked("lstm");
  EXPECT_EQ(lstm.mask_action, MaskAction::consumed_passed_on);
  expect_carried_over(lstm, 0, 1);
  expect_carried_over(lstm, 0, 4);
  EXPECT_NE(at(c.unmasked("lstm"), 0, 1), at(c.unmasked("lstm"), 0, 0)) << "unmasked, tanh(bias) is read";
  const LayerRecord& head = c.masked("dense_1");
  EXPECT_EQ(at(head, 0, 1), at(head, 0, 0)) << "computed again, from the carried-over LSTM output";
  EXPECT_FALSE(all_zero(at(head, 0, 1)));
  const float w = 5.0f / 3.0f;
  EXPECT_EQ(c.masked().loss->weights, (std::vector<float>{w, 0, w, w, 0}));
}

TEST(Scenario14LstmAloneAndInBidirectional, RepeatsAloneZerosInside) {
  const Case alone("14a-lstm-alone.json");
  const Case wrapped("14b-lstm-in-bidirectional.json");
  const LayerRecord& lstm = alone.masked("lstm");
  const LayerRecord& bi = wrapped.masked("bidirectional");
  const LayerRecord& forward = halves_of(bi).at(0);
  ASSERT_EQ(forward.weights.size(), lstm.weights.size());
  for (std::size_t i = 0; i < lstm.weights.size(); ++i)
    EXPECT_EQ(forward.weights[i].value.values, lstm.weights[i].value.values) << "the same LSTM";
  for (std::size_t t = 0; t < 5; ++t) {
    SCOPED_TRACE("t=" + std::to_string(t));
    const Row merged = at(bi, 0, t);
    const Row forward_half(merged.begin(), merged.begin() + 3), backward_half(merged.begin() + 3, merged.end());
    if (t == 1 || t == 4) {
      EXPECT_TRUE(all_zero(forward_half));
      EXPECT_TRUE(all_zero(backward_half));
      EXPECT_EQ(at(lstm, 0, t), at(lstm, 0, t - 1));
      EXPECT_FALSE(all_zero(at(lstm, 0, t)));
    } else {
      EXPECT_EQ(forward_half, at(lstm, 0, t));
    }
  }
  EXPECT_EQ(kept_states(step(forward, 0, 1)), kept_states(step(forward, 0, 0))) << "states still carried over";
}

// 01 with Flatten replaced by GlobalAveragePooling1D: the same embeddings (same seed, same position), and
// now a layer reads the mask, so the runs part. Tokens [1, 2, 0]: the masked mean is (e1 + e2) / 2, the
// unmasked one (e1 + e2 + e0) / 3.
TEST(Scenario17ForumFlattenFixed, PoolingReadsTheMaskSoTheOutputsDiffer) {
  const Case fixed("17-forum-flatten-fixed.json");
  const Case forum("01-forum-flatten.json");
  const LayerRecord& embedding = fixed.masked("embedding");
  EXPECT_EQ(embedding.weights.at(0).value.values, forum.masked("embedding").weights.at(0).value.values)
      << "the same embeddings as 01";
  const Row e0 = weight_row(embedding, "embeddings", 0), e1 = weight_row(embedding, "embeddings", 1),
            e2 = weight_row(embedding, "embeddings", 2);
  EXPECT_FALSE(all_zero(e0)) << "token 0's row is a real vector";
  const LayerRecord& gap = fixed.masked("global_average_pooling1d");
  EXPECT_EQ(gap.mask_action, MaskAction::consumed);
  EXPECT_TRUE(gap.warnings.empty()) << "no warning: GlobalAveragePooling1D supports masking";
  EXPECT_EQ(reductions_of(gap).at(0).divisor, 2.0f);
  EXPECT_EQ(reductions_of(fixed.unmasked("global_average_pooling1d")).at(0).divisor, 3.0f);
  for (std::size_t f = 0; f < 3; ++f) {
    EXPECT_FLOAT_EQ(gap.output.row(0)[f], (e1[f] + e2[f]) / 2);
    EXPECT_NEAR(fixed.unmasked("global_average_pooling1d").output.row(0)[f], (e1[f] + e2[f] + e0[f]) / 3, 1e-7);
  }
  const LayerRecord& out = fixed.masked("dense_1");
  EXPECT_NE(out.output.values, fixed.unmasked("dense_1").output.values) << "the final output differs now";
  EXPECT_EQ(forum.masked("dense_1").output.values, forum.unmasked("dense_1").output.values) << "where 01's did not";
}

}  // namespace
}  // namespace maskviz
