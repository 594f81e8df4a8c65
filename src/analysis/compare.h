// Analysis, apart from any presentation: the masked and the unmasked run compared value by value.
// `diff` reads it for its tables and its exit status, `run` for the story of where the runs part; a
// later renderer reads the same answers.
//
// "The same" means bit for bit: both runs use the same weights and the same float32 operations, so a
// layer the mask did not touch gives exactly the same numbers (NaN counts as the same as NaN).
#pragma once

#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/engine.h"

namespace maskviz {

// What a question is about: one sequence, a range of time positions, one layer (all when empty).
struct Selection {
  std::optional<std::size_t> batch;
  std::optional<std::pair<std::size_t, std::size_t>> steps;  // [first, last], inclusive
  std::optional<std::string> layer;                          // by name
  bool any() const { return batch || steps || layer; }
};

constexpr std::size_t kNoStep = std::numeric_limits<std::size_t>::max();

bool same_value(float a, float b);
// |a - b|, or NaN when exactly one of them is NaN: "how far apart" has no number then, and diff says so.
float gap_between(float a, float b);
// Whether `gap` is a larger difference than `than`: NaN is larger than any number.
bool wider_gap(float gap, float than);

struct TensorDiff {
  std::size_t differing = 0;   // elements that differ
  float max_abs = 0;           // largest |a - b| (NaN when one is NaN and the other is not)
  std::size_t max_index = 0;   // flat index of that element
  bool identical() const { return differing == 0; }
};

struct LayerComparison {
  const LayerRecord* masked = nullptr;
  const LayerRecord* unmasked = nullptr;
  bool counted = true;            // inside the selection (--layer)
  TensorDiff output;              // over the selected sequences and steps only
  std::vector<TensorDiff> states; // return_state, in record order
  // Outputs [B, T, F]: per sequence, the first time position that differs (kNoStep when none).
  std::vector<std::size_t> first_step;
  // The output's differences split by the masked run's mask over its steps ([B, T, F] with a mask that
  // lines up). At a masked step a difference is there by design: the masked run carried the step over or
  // ignored it, and a masked loss weighs it 0. At a valid step it is a difference in what the model says.
  // Without such a mask every difference counts as at a valid step.
  bool split = false;
  TensorDiff at_valid, at_masked;
  std::vector<std::size_t> first_valid_step;  // [B, T, F] outputs: per sequence, kNoStep when none
  bool identical() const;
};

struct RunComparison {
  std::vector<LayerComparison> layers;
  bool loss_counted = false;  // there is a loss and no --layer
  bool loss_identical = true;
  std::optional<std::size_t> first_layer;  // the first counted layer that differs
  std::optional<std::size_t> first_valid_layer;  // the first counted layer that differs at a valid step
  // Whether valid-step differences reach the model's output (the last layer) and the loss: the terms
  // that count in the masked run (weight != 0) compared with the same terms of the unmasked run.
  bool output_valid_differs = false;
  std::size_t loss_terms = 0, loss_counted_terms = 0, loss_counted_terms_differ = 0;
  bool differs() const;
};

// Compares what the selection covers: --layer picks the layers that count (and leaves out the loss),
// --batch and --steps the sequences and time positions of each output.
RunComparison compare_runs(const Trace& trace, const Selection& selection = {});

// The flat index of an output element as (sequence, time position or kNoStep, feature).
struct Position {
  std::size_t b = 0, t = kNoStep, f = 0;
};
Position position_of(const Shape& shape, std::size_t index);

}  // namespace maskviz
