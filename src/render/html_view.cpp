#include "render/html_view.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace maskviz::html {

namespace {

// Without --steps, a long sequence is drawn where masking shows: the window in which the drawn sequences'
// padding begins (a quarter of it before the first masked step). None when they have no padding.
std::optional<std::size_t> padding_window(const Trace& trace, const View& v) {
  for (const auto& layer : trace.masked.layers) {
    if (layer.mask_action != MaskAction::created || !layer.output_mask) continue;
    const Mask& mask = *layer.output_mask;
    std::size_t first = v.T;
    for (std::size_t b : v.sequences)
      for (std::size_t t = 0; t < mask.time && t < first && b < mask.batch; ++t)
        if (!mask.at(b, t)) first = t;
    if (first == v.T) return std::nullopt;
    return std::min(first > View::kSteps / 4 ? first - View::kSteps / 4 : 0, v.T - View::kSteps);
  }
  return std::nullopt;
}

}  // namespace

View View::of(const Trace& trace, const Selection& selection) {
  View v;
  v.selection = selection;
  const Tensor& x = trace.scenario->input;
  v.B = x.dim(0);
  v.T = x.dim(1);
  std::size_t b0 = selection.batch.value_or(0), b1 = selection.batch.value_or(v.B - 1);
  for (std::size_t b = b0; b <= b1 && v.sequences.size() < kSequences; ++b) v.sequences.push_back(b);
  std::size_t t0 = selection.steps ? selection.steps->first : 0;
  const std::size_t t1 = selection.steps ? selection.steps->second : v.T - 1;
  if (!selection.steps && v.T > kSteps)
    if (const auto start = padding_window(trace, v)) {
      t0 = *start;
      v.windowed = true;
    }
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
  return fmt::format("{}, {}{}", range(sequences, B, "sequences", "b"), range(steps, T, "steps", "t"),
                     windowed ? " (the steps where the drawn sequences' padding begins)" : "");
}

}  // namespace maskviz::html
