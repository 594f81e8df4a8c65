// The backward pass in the JSON trace (docs/trace-format.md, "Gradients and one training step"): the
// numbers are the gradient record's, a masked step's own term is exactly 0, and without a loss every
// gradient field is null.
#include <gtest/gtest.h>

#include <sstream>

#include "grad/grad_record.h"
#include "render/render.h"
#include "scenario/scenario.h"

namespace maskviz {
namespace {

Json export_json(const Trace& trace) {
  std::ostringstream out;
  write_trace_json(trace, out);
  return Json::parse(out.str());
}

const char* kLstm = R"({"seed": 3, "input": {"tokens": [[1, 0, 2]]},
  "layers": [{"type": "Embedding", "input_dim": 3, "output_dim": 2, "mask_zero": true},
             {"type": "LSTM", "units": 2, "return_sequences": true}, {"type": "Dense", "units": 1}],
  "target": [[[1], [0], [1]]], "loss": "mse", "train": {"optimizer": "adam", "learning_rate": 0.1}})";

TEST(ExportGradients, TheRecordsNumbersWithMaskedStepsAtExactlyZero) {
  const Scenario s = load_scenario(kLstm, "t");
  const Trace trace = run_both(s, Detail::full);
  const Json j = export_json(trace);
  const Json& lstm = j["runs"][0]["layers"][1];
  const LayerGradient& g = trace.masked.grad->layers[1];
  EXPECT_EQ(lstm["gradients"]["kernel"][1][3].get<float>(), g.weights[0].value.values[1 * 8 + 3]);
  EXPECT_EQ(lstm["output_gradient"][0][2][1].get<float>(), g.output_gradient.values[2 * 2 + 1]);
  ASSERT_TRUE(lstm["steps"][1]["masked"].get<bool>());
  for (const char* name : {"kernel", "recurrent_kernel", "bias"})
    for (const auto& v : lstm["steps"][1]["gradient"][name].flatten()) EXPECT_EQ(v.get<float>(), 0.0f) << name;
  EXPECT_FALSE(lstm["steps"][0]["gradient"]["bias"][0].get<float>() == 0.0f);
  const Json& train = j["runs"][0]["train"];
  EXPECT_EQ(train["optimizer"], "adam");
  EXPECT_EQ(train["learning_rate"].get<float>(), 0.1f);
  EXPECT_EQ(train["epsilon"].get<float>(), 1e-7f);
  EXPECT_TRUE(train["weight_decay"].is_null());
  EXPECT_EQ(train["weights_after"][2]["bias"][0].get<float>(), trace.masked.grad->train.weights_after[2][1].value.values[0]);
  // Row 0 of the embeddings: gradient 0 in the masked run, so Adam leaves it exactly where it was.
  EXPECT_EQ(train["weights_after"][0]["embeddings"][0], j["runs"][0]["layers"][0]["weights"]["embeddings"][0]);
  EXPECT_NE(j["runs"][1]["train"]["weights_after"][0]["embeddings"][0], j["runs"][1]["layers"][0]["weights"]["embeddings"][0]);
}

TEST(ExportGradients, WithoutALossEveryGradientFieldIsNull) {
  const Scenario s = load_scenario(R"({"input": {"tokens": [[1, 0]]},
    "layers": [{"type": "Embedding", "input_dim": 2, "output_dim": 1, "mask_zero": true}, {"type": "LSTM", "units": 1}]})",
                                   "t");
  const Json j = export_json(run_both(s, Detail::full));
  for (const Json& run : j["runs"]) {
    EXPECT_TRUE(run["train"].is_null());
    for (const Json& layer : run["layers"]) {
      EXPECT_TRUE(layer["gradients"].is_null());
      EXPECT_TRUE(layer["output_gradient"].is_null());
      for (const Json& step : layer["steps"]) EXPECT_TRUE(step["gradient"].is_null());
    }
  }
}

TEST(ExportGradients, StepTermsOnlyAtDetailFull) {
  const Scenario s = load_scenario(kLstm, "t");
  const Json j = export_json(run_both(s, Detail::steps));
  EXPECT_FALSE(j["runs"][0]["layers"][1]["steps"][0].contains("gradient"));
  EXPECT_TRUE(j["runs"][0]["layers"][1]["gradients"].is_object());
}

}  // namespace
}  // namespace maskviz
