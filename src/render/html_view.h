// Which part of a trace the page draws. A page must stay small for any scenario (32 × 128 steps must not
// make a 200 MB page), so the figures draw at most a few sequences, steps and features, chosen from the
// selection, and the page says what was drawn of what.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "analysis/compare.h"

namespace maskviz::html {

struct View {
  static constexpr std::size_t kSequences = 4, kSteps = 32, kFeatures = 16, kLossTerms = 128;
  std::vector<std::size_t> sequences;  // b drawn, ascending
  std::vector<std::size_t> steps;      // t drawn, ascending
  std::size_t B = 0, T = 0;
  bool everything = true;  // every sequence and step drawn
  bool windowed = false;         // the steps were chosen where padding begins (no --steps given)
  Selection selection;

  static View of(const Trace& trace, const Selection& selection);
  bool draws_step(std::size_t t) const;
  bool draws_sequence(std::size_t b) const;
  bool draws_layer(const std::string& name) const { return !selection.layer || *selection.layer == name; }
  // How many of `count` features a figure draws.
  static std::size_t features(std::size_t count) { return count < kFeatures ? count : kFeatures; }
  // "sequences 0–3 of 32, steps 0–31 of 128", said on the page above the figures.
  std::string drawn_words() const;
};

}  // namespace maskviz::html
