// A layer type that exists only in this test, of an existing record kind (Rows), registered from here:
// text, JSON and diff render it with no renderer knowing its name. This is the promise of layer.h
// ("a new layer of an existing kind touches no renderer"), held by a test.
//
//   TestScale(units): y = x · kernel        x: [B, T, D], kernel: [D, units], no bias, linear
// It supports masking and does not read the mask (Layer's default action: passed on).
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <sstream>

#include "analysis/compare.h"
#include "core/eigen.h"
#include "engine/engine.h"
#include "grad/backward.h"
#include "record_access.h"
#include "render/render.h"
#include "scenario/json_fields.h"
#include "scenario/scenario.h"

namespace maskviz {

namespace {

class TestScaleLayer final : public Layer {
 public:
  explicit TestScaleLayer(LayerSite& site) : Layer("TestScale", site.name, site.input_shape) {
    units_ = static_cast<std::size_t>(site.fields.integer("units", std::nullopt, 1, 64));
    output_shape_ = input_shape_;
    output_shape_.back() = units_;
  }
  bool supports_masking() const override { return true; }
  Json config() const override { return {{"units", units_}}; }
  std::vector<WeightSpec> weight_specs() const override {
    return {{"kernel", {input_shape_.back(), units_}, Initializer::glorot_uniform()}};
  }

  void forward(const ForwardArgs& args, ForwardResult& result, LayerRecord& record) const override {
    const ConstMatMap x = as_matrix(args.input);  // [B*T, D]
    result.output = Tensor(output_shape_);        // [B, T, units]
    as_matrix(result.output).noalias() = x * as_matrix(weight("kernel"));
    Rows& rows = record.payload.emplace<Rows>();
    rows.equations.lines = {"y = x · W"};
    rows.equations.additive = true;
    rows.activation = "linear";
    if (args.detail != Detail::full) return;
    const std::size_t T = input_shape_[1], D = input_shape_.back();
    for (std::size_t r = 0; r < T * input_shape_[0]; ++r) {
      StepRecord step;
      step.batch = r / T;
      step.t = step.k = r % T;
      step.masked = args.mask && !args.mask->at(step.batch, step.t);
      step.input = Tensor({D}, std::vector<float>(args.input.row(r), args.input.row(r) + D));
      step.output = Tensor({units_}, std::vector<float>(result.output.row(r), result.output.row(r) + units_));
      step.products.push_back({"x", step.input, "kernel", "", step.output});
      step.pre_activations.push_back({"z", step.output});
      rows.rows.push_back(std::move(step));
    }
  }

 private:
  std::size_t units_ = 0;
};

std::unique_ptr<Layer> make_test_scale(LayerSite& site) { return std::make_unique<TestScaleLayer>(site); }

// Tokens [[1, 0, 2]] with mask_zero, then TestScale, then average pooling, which reads the mask: the
// runs agree at test_scale (it only passes the mask on) and part at the pooling.
//   embeddings row 1 = [1, 0], row 0 = [0, 0.5], row 2 = [0, 1]; kernel = [[2, 0], [0, 3]]
//   => test_scale output rows: [2, 0], [0, 1.5], [0, 3]
//   masked mean over t = 0, 2: [1, 1.5];  unmasked mean over all three: [2/3, 1.5]
constexpr const char* kScenario = R"({
  "maskviz": 1, "name": "new-layer", "seed": 1,
  "input": {"tokens": [[1, 0, 2]]},
  "layers": [
    {"type": "Embedding", "input_dim": 3, "output_dim": 2, "mask_zero": true,
     "weights": {"embeddings": [[0, 0.5], [1, 0], [0, 1]]}},
    {"type": "TestScale", "units": 2, "weights": {"kernel": [[2, 0], [0, 3]]}},
    {"type": "GlobalAveragePooling1D"}
  ]
})";

struct NewLayer : ::testing::Test {
  void SetUp() override {
    register_layer("TestScale", make_test_scale);
    scenario = load_scenario(kScenario, "new-layer.json");
    trace = run_both(scenario, Detail::full);
  }
  Scenario scenario;
  Trace trace;
};

TEST_F(NewLayer, ComputesAndRecordsItsRows) {
  const LayerRecord& layer = trace.masked.layers.at(1);
  EXPECT_EQ(layer.name, "test_scale");  // Keras' default name for the class
  EXPECT_EQ(layer.mask_action, MaskAction::passed_on);
  EXPECT_EQ(layer.output.values, (std::vector<float>{2, 0, 0, 1.5f, 0, 3}));
  ASSERT_EQ(steps_of(layer).size(), 3u);
  EXPECT_TRUE(steps_of(layer)[1].masked);
  EXPECT_EQ(trace.masked.layers.at(2).output.values, (std::vector<float>{1, 1.5f}));
  EXPECT_NEAR(trace.unmasked.layers.at(2).output.values[0], 2.0f / 3.0f, 1e-6);
}

// A layer without a backward pass (this one writes none) is named, so `grad` and the page can say why a
// scenario has no gradients instead of failing; every built-in layer has one.
TEST_F(NewLayer, WithoutABackwardPassIsNamedAsTheReasonForNoGradients) {
  EXPECT_EQ(no_backward_reason(scenario),
            "maskviz has no backward pass for TestScale layers yet (layer \"test_scale\"), so this scenario has no "
            "gradients");
  const Scenario builtin = load_scenario(R"({"input": {"values": [[[1]]]}, "layers": [{"type": "Dense", "units": 1}]})",
                                         "builtin.json");
  EXPECT_EQ(no_backward_reason(builtin), "");
}

TEST_F(NewLayer, TextShowsItsEquationAndRows) {
  TextOptions options;
  options.mode = RunMode::masked;
  std::ostringstream out;
  render_run(trace, options, out);
  const std::string text = out.str();
  EXPECT_NE(text.find("test_scale · TestScale"), std::string::npos) << text;
  EXPECT_NE(text.find("y = x · W"), std::string::npos) << text;
  EXPECT_NE(text.find("masked, computed anyway"), std::string::npos) << text;  // its row at t=1
  EXPECT_NE(text.find("passes it on without reading it"), std::string::npos) << text;
  EXPECT_NE(text.find("1.5000"), std::string::npos) << text;
}

TEST_F(NewLayer, JsonHoldsItsRows) {
  std::ostringstream out;
  write_trace_json(trace, out);
  const auto json = nlohmann::json::parse(out.str());
  const auto& layer = json.at("runs").at(0).at("layers").at(1);
  EXPECT_EQ(layer.at("type"), "TestScale");
  EXPECT_EQ(layer.at("mask_action"), "passed_on");
  ASSERT_EQ(layer.at("steps").size(), 3u);
  EXPECT_EQ(layer.at("steps").at(2).at("products").at(0).at("result"), nlohmann::json({0.0, 3.0}));
  EXPECT_TRUE(layer.at("lookups").empty());
}

TEST_F(NewLayer, DiffFindsTheRunsPartAfterIt) {
  const RunComparison comparison = compare_runs(trace);
  EXPECT_TRUE(comparison.layers.at(1).identical());
  ASSERT_TRUE(comparison.first_layer.has_value());
  EXPECT_EQ(*comparison.first_layer, 2u);
  EXPECT_TRUE(comparison.differs());
  std::ostringstream out;
  render_diff(trace, TextOptions{}, out);
  const std::string text = out.str();
  EXPECT_NE(text.find("test_scale"), std::string::npos) << text;
  EXPECT_NE(text.find("the runs differ, first at global_average_pooling1d"), std::string::npos) << text;
}

}  // namespace

}  // namespace maskviz
