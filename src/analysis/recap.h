// What the two runs showed, as facts and then sentences every renderer reads the same way: `run` closes
// with them, `diff` takes the part about the differences that matter, the page can show them.
//
// A difference at a masked step is there by design (the masked run carried the step over or ignored it,
// and a masked loss weighs it 0); a difference at a valid step is a difference in what the model says.
// The recap keeps the two apart and says which valid differences reach the model's output and the loss.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "analysis/compare.h"
#include "analysis/loss_explanation.h"

namespace maskviz {

struct StepPlace {
  std::size_t layer = 0;  // index into the run's layers
  std::string name, type;
  std::size_t b = 0;
  std::size_t t = kNoStep;  // kNoStep: an output without time steps
  bool masked = false;      // a masked step of that layer
};

struct Recap {
  // The mask: who made it, which steps it masked (per sequence), what each layer did with it.
  std::string creator;                             // empty when no layer makes a mask
  // Per selected sequence of the creator's mask: (b, its masked steps within the selected steps).
  std::vector<std::pair<std::size_t, std::vector<std::size_t>>> masked_steps;
  std::vector<std::string> path;                   // "embedding creates", "lstm reads, passes on", ...
  // Where the runs parted: the first difference at any step, and the first at a valid step.
  std::optional<StepPlace> first, first_valid;
  bool output_valid_differs = false;  // the model's output differs at a valid step
  std::string output_layer;           // the model's output layer
  // The loss of both runs.
  bool has_loss = false;
  float masked_loss = 0, unmasked_loss = 0;
  std::size_t valid = 0, total = 0;     // terms that count in the masked run, all terms
  bool loss_masked = false;             // the masked run's loss read a mask
  std::size_t counted_terms_differ = 0;  // of the terms that count in the masked run
};

// `comparison` is compare_runs(trace, selection): the recap speaks of the selected sequences and steps.
Recap recap_runs(const Trace& trace, const RunComparison& comparison, const Selection& selection = {});

// Sentences: the mask, where the runs parted, the output, the loss. `only` limits them to one run (run
// --mode): then nothing is compared.
std::vector<std::string> recap_sentences(const Recap& recap, const NumberText& number,
                                         std::optional<RunMode> only = std::nullopt);

// diff's part: the valid-step differences per layer, and what reaches the output and the loss.
std::vector<std::string> valid_difference_sentences(const Recap& recap, const RunComparison& comparison,
                                                    const NumberText& number);

}  // namespace maskviz
