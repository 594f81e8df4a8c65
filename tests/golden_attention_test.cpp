// Every golden case of ../shared/golden-attention (copied byte-identical into tests/golden-attention):
// as tests/golden_test.cpp for outputs, masks and losses, plus each layer's inputs and input masks, the
// execution order, and the `attention` object: path, combined mask and fully masked rows exact, weights
// and (where the combined mask allows) scores within the golden's tolerance rule.
#include <gtest/gtest.h>

#include <cmath>

#include "engine/engine.h"
#include "scenario/scenario.h"
#include "golden_cases.h"
#include "test_names.h"

namespace maskviz {
namespace {

using golden::close;
using golden::flatten_numbers;
using golden::mask_from;

void expect_close(const std::vector<float>& got, const Json& want, double tolerance, const char* what,
                  const std::vector<bool>* only = nullptr) {
  std::vector<double> expected;
  flatten_numbers(want, expected);
  ASSERT_EQ(got.size(), expected.size()) << what;
  for (std::size_t k = 0; k < expected.size(); ++k) {
    if (only != nullptr && !(*only)[k]) continue;
    EXPECT_TRUE(close(got[k], expected[k], tolerance)) << what << " element " << k << ": got " << got[k]
                                                       << ", expected " << expected[k];
  }
}

// A multi-input layer's input masks: an object by role (MultiHeadAttention) or a list in call order.
void expect_input_masks(const LayerRecord& layer, const Json& want) {
  if (want.is_object()) {
    ASSERT_EQ(layer.input_masks.size(), layer.input_roles.size());
    for (std::size_t i = 0; i < layer.input_roles.size(); ++i)
      EXPECT_EQ(layer.input_masks[i], mask_from(want.at(layer.input_roles[i]))) << layer.input_roles[i];
  } else if (!want.is_null() && want.size() == layer.input_masks.size() && layer.input_masks.size() > 1 &&
             (want[0].is_null() || want[0][0].is_array())) {
    for (std::size_t i = 0; i < want.size(); ++i) EXPECT_EQ(layer.input_masks[i], mask_from(want[i])) << "input " << i;
  } else {
    EXPECT_EQ(layer.input_mask, mask_from(want));
  }
}

void expect_attention(const AttentionRecord& a, const Json& want, double tolerance) {
  const char* path = a.path == AttentionRecord::Path::fused              ? "fused"
                     : a.path == AttentionRecord::Path::explicit_softmax ? "explicit"
                                                                          : "subtractive";
  EXPECT_EQ(path, want["path"].get<std::string>());
  EXPECT_TRUE(close(a.mask_constant, want["mask_constant"].get<double>(), tolerance));
  EXPECT_EQ(a.causal, want["causal"].get<bool>());
  EXPECT_EQ(a.query_mask, mask_from(want["query_mask"]));
  EXPECT_EQ(a.value_mask, mask_from(want["value_mask"]));
  EXPECT_EQ(a.key_mask, mask_from(want["key_mask"]));
  std::vector<bool> allowed(a.scores.size(), true);
  if (want["combined_mask"].is_null()) {
    EXPECT_FALSE(a.combined_mask.has_value());
  } else {
    ASSERT_TRUE(a.combined_mask.has_value());
    std::vector<double> expected;
    flatten_numbers(want["combined_mask"], expected);
    ASSERT_EQ(a.combined_mask->size(), expected.size());
    for (std::size_t k = 0; k < expected.size(); ++k) EXPECT_EQ((*a.combined_mask)[k], expected[k]) << "cell " << k;
    const std::size_t TS = a.query_steps * a.key_steps;
    for (std::size_t k = 0; k < allowed.size(); ++k)  // scores [B, N, T, S], mask [B, T, S]
      allowed[k] = (*a.combined_mask)[(k / (a.heads * TS)) * TS + k % TS] != 0;
  }
  std::vector<std::pair<std::size_t, std::size_t>> rows;
  for (const auto& row : want["fully_masked_rows"]) rows.emplace_back(row[0].get<std::size_t>(), row[1].get<std::size_t>());
  EXPECT_EQ(a.fully_masked_rows, rows);
  expect_close(a.weights.values, want["weights"], tolerance, "weights");
  expect_close(a.scores.values, want["scores"], tolerance, "scores", &allowed);
}

class GoldenAttention : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenAttention, MatchesBothRuns) {
  const Json golden = golden::read_case(GetParam());
  const double tolerance = golden.value("tolerance", 1e-5);
  const Scenario scenario = load_scenario(golden["scenario"].dump(), GetParam());
  const Trace trace = run_both(scenario, Detail::full);
  for (const RunRecord* run : {&trace.masked, &trace.unmasked}) {
    const Json& expected = golden["expected"][mode_name(run->mode)];
    SCOPED_TRACE(mode_name(run->mode));
    std::vector<std::string> order;
    for (std::size_t i : run->execution_order) order.push_back(run->layers[i].name);
    EXPECT_EQ(order, golden["execution_order"].get<std::vector<std::string>>());
    ASSERT_EQ(run->layers.size(), expected["layers"].size());
    for (std::size_t i = 0; i < run->layers.size(); ++i) {
      const LayerRecord& layer = run->layers[i];
      const Json& want = expected["layers"][i];
      SCOPED_TRACE(layer.name);
      EXPECT_EQ(layer.name, want["name"].get<std::string>());
      EXPECT_EQ(layer.type, want["type"].get<std::string>());
      EXPECT_EQ(layer.output.shape, want["shape"].get<Shape>());
      std::vector<std::string> inputs;
      if (want["inputs"].is_string()) inputs.push_back(want["inputs"]);
      else if (want["inputs"].is_array()) inputs = want["inputs"].get<std::vector<std::string>>();
      else for (const char* role : {"query", "value", "key"}) if (want["inputs"].contains(role)) inputs.push_back(want["inputs"][role]);
      EXPECT_EQ(layer.inputs, inputs);
      expect_input_masks(layer, want["input_mask"]);
      EXPECT_EQ(layer.output_mask, mask_from(want["output_mask"]));
      expect_close(layer.output.values, want["output"], tolerance, "output");
      if (want.contains("attention")) {
        const auto* attention = layer.as<AttentionRecord>();
        ASSERT_NE(attention, nullptr);
        expect_attention(*attention, want["attention"], tolerance);
      }
    }
    ASSERT_TRUE(run->loss.has_value());
    EXPECT_TRUE(close(run->loss->value, expected["loss"].get<double>(), tolerance))
        << "loss: got " << run->loss->value << ", expected " << expected["loss"];
    EXPECT_EQ(run->loss->mask, mask_from(expected["loss_detail"]["mask"]));
    expect_close(run->loss->terms, expected["loss_detail"]["terms"], tolerance, "loss terms");
  }
}

INSTANTIATE_TEST_SUITE_P(SharedAttentionGoldens, GoldenAttention, ::testing::ValuesIn(golden::case_files("golden-attention")),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           const std::string file = std::filesystem::path(info.param).filename().string();
                           return gtest_name(file.substr(0, file.find('.')));
                         });

}  // namespace
}  // namespace maskviz
