#include "render/html_view.h"

#include <fmt/format.h>

#include <algorithm>

namespace maskviz::html {

View View::of(const Trace& trace, const Selection& selection) {
  View v;
  v.selection = selection;
  const Tensor& x = trace.scenario->input;
  v.B = x.dim(0);
  v.T = x.dim(1);
  std::size_t b0 = selection.batch.value_or(0), b1 = selection.batch.value_or(v.B - 1);
  for (std::size_t b = b0; b <= b1 && v.sequences.size() < kSequences; ++b) v.sequences.push_back(b);
  const std::size_t t0 = selection.steps ? selection.steps->first : 0;
  const std::size_t t1 = selection.steps ? selection.steps->second : v.T - 1;
  for (std::size_t t = t0; t <= t1 && v.steps.size() < kSteps; ++t) v.steps.push_back(t);
  v.everything = v.sequences.size() == v.B && v.steps.size() == v.T;
  return v;
}

bool View::draws_step(std::size_t t) const { return std::binary_search(steps.begin(), steps.end(), t); }
bool View::draws_sequence(std::size_t b) const { return std::binary_search(sequences.begin(), sequences.end(), b); }

std::string View::drawn_words() const {
  auto range = [](const std::vector<std::size_t>& picked, std::size_t of, const char* what, const char* letter) {
    if (picked.size() == 1) return fmt::format("{} {}={} of {}", what, letter, picked.front(), of);
    return fmt::format("{} {}={}–{} of {}", what, letter, picked.front(), picked.back(), of);
  };
  return fmt::format("{}, {}", range(sequences, B, "sequences", "b"), range(steps, T, "steps", "t"));
}

}  // namespace maskviz::html
