// The scenario's "train" block is checked like every other field: the JSON pointer of what is wrong, one
// line saying what was expected; and what a valid block loads to (Keras 3.15.1's defaults).
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cmath>

#include "core/errors.h"
#include "grad/backward.h"
#include "scenario/scenario.h"

namespace maskviz {
namespace {

std::string with_train(const std::string& train) {
  return fmt::format(R"({{"input": {{"tokens": [[1, 0, 2]]}},
    "layers": [{{"type": "Embedding", "input_dim": 3, "output_dim": 2, "mask_zero": true}}, {{"type": "Dense", "units": 1}}],
    "target": [[[1], [0], [1]]], "loss": "mse", "train": {}}})", train);
}

void expect_refused(const std::string& train, const std::string& pointer, const std::string& phrase) {
  try {
    load_scenario(with_train(train), "test.json");
    ADD_FAILURE() << "loaded: " << train;
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.pointer(), pointer) << e.what();
    EXPECT_NE(std::string(e.what()).find(phrase), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  }
}

TEST(TrainBlock, RefusesWhatKerasWouldNotRun) {
  expect_refused(R"({"optimizer": "rmsprop"})", "/train/optimizer", "\"sgd\"");
  expect_refused(R"({"learning_rate": 0.1})", "/train/optimizer", "optimizer");
  expect_refused(R"({"optimizer": "sgd", "learning_rate": -0.1})", "/train/learning_rate", ">= 0");
  expect_refused(R"({"optimizer": "adam", "learning_rate": 1e999})", "/train/learning_rate", "finite");
  expect_refused(R"({"optimizer": "adam", "learning_rate": "fast"})", "/train/learning_rate", "number");
  expect_refused(R"({"optimizer": "adam", "beta_1": 1.5})", "/train/beta_1", "[0, 1)");
  expect_refused(R"({"optimizer": "adamw", "weight_decay": -1})", "/train/weight_decay", ">= 0");
  expect_refused(R"({"optimizer": "sgd", "momentum": 0.9})", "/train/momentum", "momentum");
  expect_refused(R"({"optimizer": "sgd", "learning_rat": 0.1})", "/train/learning_rat", "learning_rate");
  expect_refused(R"({"optimizer": "sgd", "beta_1": 0.9})", "/train/beta_1", "beta_1");
  expect_refused(R"("sgd")", "/train", "object");
}

TEST(TrainBlock, LoadsKerasDefaults) {
  const Scenario sgd = load_scenario(with_train(R"({"optimizer": "sgd"})"), "t");
  EXPECT_EQ(sgd.train->learning_rate, 0.01f);
  EXPECT_FALSE(sgd.train->weight_decay.has_value());
  const Scenario adam = load_scenario(with_train(R"({"optimizer": "adam"})"), "t");
  EXPECT_EQ(adam.train->learning_rate, 0.001f);
  EXPECT_EQ(adam.train->beta_1, 0.9f);
  EXPECT_EQ(adam.train->beta_2, 0.999f);
  EXPECT_EQ(adam.train->epsilon, 1e-7f);
  EXPECT_FALSE(adam.train->weight_decay.has_value());
  const Scenario adamw = load_scenario(with_train(R"({"optimizer": "adamw", "learning_rate": 0.05})"), "t");
  EXPECT_EQ(*adamw.train->weight_decay, 0.004f);
  EXPECT_EQ(adamw.train->learning_rate, 0.05f);
}

TEST(TrainBlock, WithoutItTheStepIsSgdAtLearningRateOneHundredth) {
  const Scenario s = load_scenario(R"({"input": {"tokens": [[1, 0, 2]]},
    "layers": [{"type": "Embedding", "input_dim": 3, "output_dim": 2}], "target": [[[1, 0], [0, 0], [1, 1]]],
    "loss": "mse"})", "t");
  EXPECT_FALSE(s.train.has_value());
  EXPECT_EQ(train_spec_of(s).optimizer, "sgd");
  EXPECT_EQ(train_spec_of(s).learning_rate, 0.01f);
}

// Adam's first step from a fresh state, by hand: m = 0.1·g, v = 0.001·g², α = lr·√0.001/0.1, so the
// update is α·m/(√v + ε) = lr·g/(|g| + ε/√0.001): about lr·sign(g) unless |g| is tiny.
TEST(TrainBlock, AdamsFirstStepIsTheLearningRateTimesGOverAbsGPlusScaledEpsilon) {
  const Scenario s = load_scenario(with_train(R"({"optimizer": "adam", "learning_rate": 0.25})"), "t");
  const auto g = compute_gradients(s, RunMode::masked, false);
  const Tensor& w = s.layers[1]->weights()[0].value;
  const Tensor& dk = g->layers[1].weights[0].value;
  const Tensor& after = g->train.weights_after[1][0].value;
  for (std::size_t i = 0; i < w.size(); ++i) {
    ASSERT_NE(dk.values[i], 0.0f);
    const double by_hand = 0.25 * dk.values[i] / (std::fabs(dk.values[i]) + 1e-7 / std::sqrt(0.001));
    EXPECT_NEAR(w.values[i] - after.values[i], by_hand, 1e-6);
  }
}

}  // namespace
}  // namespace maskviz
