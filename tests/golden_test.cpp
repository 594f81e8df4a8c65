// Every golden case of ../shared/golden (copied into tests/golden): outputs and losses within the
// golden's tolerance rule, masks exact, both runs, every layer.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "engine/engine.h"
#include "scenario/scenario.h"
#include "golden_cases.h"
#include "test_names.h"

namespace maskviz {
namespace {

using golden::close;
using golden::flatten_numbers;
using golden::mask_from;

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, MatchesBothRuns) {
  const Json golden = golden::read_case(GetParam());
  const double tolerance = golden.value("tolerance", 1e-5);
  const Scenario scenario = load_scenario(golden["scenario"].dump(), GetParam());
  const Trace trace = run_both(scenario, Detail::full);

  for (const RunRecord* run : {&trace.masked, &trace.unmasked}) {
    const Json& expected = golden["expected"][mode_name(run->mode)];
    SCOPED_TRACE(mode_name(run->mode));
    ASSERT_EQ(run->layers.size(), expected["layers"].size());
    for (std::size_t i = 0; i < run->layers.size(); ++i) {
      const LayerRecord& layer = run->layers[i];
      const Json& want = expected["layers"][i];
      SCOPED_TRACE(layer.name);
      EXPECT_EQ(layer.name, want["name"].get<std::string>());
      EXPECT_EQ(layer.type, want["type"].get<std::string>());
      EXPECT_EQ(layer.output.shape, want["shape"].get<Shape>());
      EXPECT_EQ(layer.input_mask, mask_from(want["input_mask"]));
      EXPECT_EQ(layer.output_mask, mask_from(want["output_mask"]));
      std::vector<double> want_values;
      flatten_numbers(want["output"], want_values);
      ASSERT_EQ(layer.output.size(), want_values.size());
      double max_diff = 0;
      for (std::size_t k = 0; k < want_values.size(); ++k) {
        EXPECT_TRUE(close(layer.output.values[k], want_values[k], tolerance))
            << "element " << k << ": got " << layer.output.values[k] << ", expected " << want_values[k];
        max_diff = std::max(max_diff, std::fabs(layer.output.values[k] - want_values[k]));
      }
      if (want.contains("warnings")) {
        EXPECT_FALSE(layer.warnings.empty()) << "Keras warns here";
      }
    }
    if (expected["loss"].is_null()) {
      EXPECT_FALSE(run->loss.has_value());
      continue;
    }
    ASSERT_TRUE(run->loss.has_value());
    EXPECT_TRUE(close(run->loss->value, expected["loss"].get<double>(), tolerance))
        << "loss: got " << run->loss->value << ", expected " << expected["loss"];
    const Json& detail = expected["loss_detail"];
    std::vector<double> terms, weights;
    flatten_numbers(detail["terms"], terms);
    flatten_numbers(detail["weights"], weights);
    ASSERT_EQ(run->loss->terms.size(), terms.size());
    for (std::size_t k = 0; k < terms.size(); ++k) {
      EXPECT_TRUE(close(run->loss->terms[k], terms[k], tolerance)) << "term " << k;
      EXPECT_FLOAT_EQ(run->loss->weights[k], static_cast<float>(weights[k])) << "weight " << k;
    }
    EXPECT_EQ(run->loss->total, detail["total"].get<std::size_t>());
    if (!detail["valid"].is_null()) {
      EXPECT_EQ(run->loss->valid, detail["valid"].get<std::size_t>());
    }
    EXPECT_EQ(run->loss->mask, mask_from(detail["mask"]));
    EXPECT_EQ(run->loss->used_keras_logits, detail["used_keras_logits"].get<bool>());
  }
}

INSTANTIATE_TEST_SUITE_P(SharedGoldens, Golden, ::testing::ValuesIn(golden::case_files("golden")),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           const std::string file = std::filesystem::path(info.param).filename().string();
                           return gtest_name(file.substr(0, file.find('.')));
                         });

}  // namespace
}  // namespace maskviz
