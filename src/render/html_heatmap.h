// A layer's output as heatmaps, both runs and their difference side by side, masked steps hatched.
#pragma once

#include <string>

#include "analysis/compare.h"
#include "render/html_view.h"

namespace maskviz::html {

// Which steps the masked run's mask marks in this layer's output, and how output rows map to input time.
struct StepMarks {
  const Mask* mask = nullptr;  // the mask to hatch by (b, t); nullptr: none
  const char* source = "none";    // "output" or "input": which of the layer's masks (said on the figure)
  bool reversed_rows = false;     // go_backwards with return_sequences: output row k is input step T-1-k
};

StepMarks step_marks(const LayerRecord& masked);

// One <div class="panels"> with, per drawn sequence (or once for a [B, F] output), the masked run, the
// unmasked run and |masked - unmasked|, on one colour scale shared by both runs.
std::string output_heatmaps(const LayerComparison& layer, const View& view);

// The scenario's input drawn the same way (values [B, T, F]) or as a grid of tokens ([B, T]), with the
// steps the model's first mask marks hatched.
std::string input_figure(const Tensor& input, bool tokens, const Mask* mask, const View& view);

}  // namespace maskviz::html
