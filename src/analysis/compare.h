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
  bool identical() const;
};

struct RunComparison {
  std::vector<LayerComparison> layers;
  bool loss_counted = false;  // there is a loss and no --layer
  bool loss_identical = true;
  std::optional<std::size_t> first_layer;  // the first counted layer that differs
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
