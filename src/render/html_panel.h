// One SVG panel of cells (a heatmap): rows × columns, each cell a rect with its exact value in data-v and
// its flat index in data-i (the svg's data-axes and data-shape say how to read the index), columns of
// masked steps hatched. Every heatmap on the page is drawn here.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace maskviz::html {

struct PanelCell {
  float value = 0;
  std::size_t index = 0;  // flat index into the tensor named by the svg's data-* attributes
  std::string colour;
};

struct Panel {
  std::string caption;                   // above the panel: "masked run", "|masked − unmasked|"
  std::string attributes;                // data-* of the svg (layer, run, axes, shape)
  std::vector<std::string> row_labels;   // "f=0" ...
  std::vector<std::string> col_labels;   // "0", "1" ...: the step or feature number
  std::string corner;                    // the column axis' letter, written once before the labels: "t"
  std::function<PanelCell(std::size_t row, std::size_t col)> cell;
  // What a hover names instead of the svg's axes (data-what), when the index is not a tensor's: "t=3 kernel".
  std::function<std::string(std::size_t row, std::size_t col)> what;
  std::vector<long long> col_b, col_t;   // the (b, t) a column stands for; -1 when it is not a step
  std::vector<std::uint8_t> hatched;     // per column: masked in this run
  std::vector<std::uint8_t> padding;     // per column: masked in the masked run, not in this one (dashed)
};

std::string panel_svg(const Panel& panel);

// A small legend: the colour scale from `lo` to `hi` and the hatching.
std::string value_legend(float lo, float hi, bool with_hatch);
std::string gap_legend(float max_gap);
// The signed scale of gradients: -max_abs, exactly 0 (white), +max_abs, and the hatching.
std::string signed_legend(float max_abs, bool with_hatch);

}  // namespace maskviz::html
