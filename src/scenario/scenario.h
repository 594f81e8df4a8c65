// A loaded and validated scenario: plain data, everything checked, every weight present.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "layers/layer.h"
#include "loss/loss_spec.h"
#include "scenario/graph.h"

namespace maskviz {

// One model input: "input" (the scenario's "input"), or a name of the top-level "inputs" object.
struct ModelInput {
  std::string name;
  std::string pointer;  // "/input" or "/inputs/NAME"
  bool tokens = false;
  Tensor values;        // [B, T] tokens or [B, T, F] values
};

struct Scenario {
  std::string source;  // the file name as given ("-" for standard input)
  std::string name;
  std::string description;
  std::uint64_t seed = 0;
  bool tokens = false;  // input.tokens [B, T] rather than input.values [B, T, F]
  Tensor input;
  std::vector<std::unique_ptr<Layer>> layers;
  // Models with branches. `input` and `tokens` above are the first model input.
  std::vector<ModelInput> inputs;
  std::vector<LayerWiring> wiring;             // per layer: what it reads
  std::vector<std::size_t> execution_order;    // layer indices in the order Keras runs them
  std::optional<Tensor> target;
  std::optional<LossSpec> loss;
  std::optional<TrainSpec> train;  // one optimizer step (grad); without it, sgd with learning_rate 0.01
};

// The optional "train" block (scenario/train.cpp); reads it from `top`, or gives nothing when absent.
std::optional<TrainSpec> read_train(JsonFields& top);

struct LoadOptions {
  std::size_t max_memory_bytes = std::size_t{1} << 30;  // weights + the record of both runs
  std::optional<Detail> detail;                          // the detail the runs will record (size-chosen if empty)
  bool draw_weights = true;  // false for validate: nothing runs, so no weight it leaves out is drawn
};

// Parses and validates. Throws ScenarioError (pointer + message) on the first thing that is wrong.
Scenario load_scenario(const std::string& text, const std::string& source, const LoadOptions& options = {});

// The detail level a run records when none is asked for: full while it stays small, less beyond.
Detail default_detail(const Scenario& scenario);
// The bytes the weights and the record of both runs need at `detail`.
std::size_t estimated_bytes(const Scenario& scenario, Detail detail);

}  // namespace maskviz
