// Every golden case of ../shared/golden-grad (copied into tests/golden-grad): for both runs, each layer's
// weight gradients and output gradient, and the weights after one optimizer step, within the golden's
// tolerance rule |got - expected| <= tolerance · max(1, |expected|).
#include <gtest/gtest.h>

#include <cmath>

#include "grad/backward.h"
#include "scenario/scenario.h"
#include "golden_cases.h"
#include "test_names.h"

namespace maskviz {
namespace {

using golden::flatten_numbers;

// "forward/kernel" -> golden["forward"]["kernel"]
const Json& at_name(const Json& object, const std::string& name) {
  const auto slash = name.find('/');
  if (slash == std::string::npos) return object.at(name);
  return object.at(name.substr(0, slash)).at(name.substr(slash + 1));
}

void expect_close(const Tensor& got, const Json& expected, double tolerance, const std::string& what) {
  std::vector<double> want;
  flatten_numbers(expected, want);
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t k = 0; k < want.size(); ++k)
    EXPECT_TRUE(golden::close(got.values[k], want[k], tolerance))
        << what << " element " << k << ": got " << got.values[k] << ", expected " << want[k];
}

class GoldenGrad : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenGrad, GradientsAndOneStepMatchBothRuns) {
  const Json golden = golden::read_case(GetParam());
  const double tolerance = golden.value("tolerance", 1e-5);
  const Scenario scenario = load_scenario(golden["scenario"].dump(), GetParam());
  for (RunMode mode : {RunMode::masked, RunMode::unmasked}) {
    SCOPED_TRACE(mode_name(mode));
    const Json& expected = golden["expected"][mode_name(mode)];
    const auto grad = compute_gradients(scenario, mode, true);
    ASSERT_TRUE(grad.has_value());
    EXPECT_NEAR(grad->loss, expected["loss"].get<double>(), tolerance * std::max(1.0, expected["loss"].get<double>()));
    ASSERT_EQ(grad->layers.size(), expected["layers"].size());
    for (std::size_t i = 0; i < grad->layers.size(); ++i) {
      const LayerGradient& layer = grad->layers[i];
      const Json& want = expected["layers"][i];
      SCOPED_TRACE(layer.name);
      expect_close(layer.output_gradient, want["output_gradient"], tolerance, "output_gradient");
      for (const auto& w : layer.weights) expect_close(w.value, at_name(want["gradients"], w.name), tolerance, w.name);
      for (const auto& w : grad->train.weights_after[i])
        expect_close(w.value, at_name(expected["train"]["weights_after"][i], w.name), tolerance, "after " + w.name);
    }
    EXPECT_EQ(grad->train.spec.optimizer, expected["train"]["optimizer"].get<std::string>());
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenGrad, ::testing::ValuesIn(golden::case_files("golden-grad")),
                         [](const auto& info) { return gtest_name(std::filesystem::path(info.param).stem().stem().string()); });

}  // namespace
}  // namespace maskviz
