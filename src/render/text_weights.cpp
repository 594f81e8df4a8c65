// A layer's weights as text: each with its shape and origin, in the gate blocks' columns when the
// layer names them; an Embedding shows only the rows its lookups read.
#include <fmt/format.h>

#include <set>

#include "render/text_cells.h"
#include "render/text_equations.h"
#include "render/text_layer_parts.h"

namespace maskviz {

namespace {

// The gate blocks of a recurrent layer's weight columns, named as the layer names them.
std::vector<ColumnGroup> gate_groups(const RecurrentSteps* steps, std::size_t columns, const Style& style) {
  if (steps == nullptr) return {};
  const auto& names = steps->gate_names;
  const std::size_t H = steps->units;
  if (names.size() < 2 || H == 0 || names.size() * H != columns) return {};
  std::vector<ColumnGroup> groups;
  for (std::size_t g = 0; g < names.size(); ++g) groups.push_back({style.text(names[g]), g * H, H});
  return groups;
}

void print_weight(Printer& p, const LayerRecord& layer, const Weight& weight,
                  const std::vector<std::size_t>* only_rows) {
  const Style& s = p.style();
  const std::string symbol = weight_symbol(weight.name);
  const std::string name = symbol != weight.name ? fmt::format("{} = {}", symbol, weight.name) : weight.name;
  const std::string origin = weight.drawn ? fmt::format("drawn from {} (the scenario left it out)", weight.initializer)
                                          : "given in the scenario";
  p.paragraph(fmt::format("{} {}{}{}", name, shape_text(weight.value.shape), s.sep(), origin), "    ");
  const Tensor& w = weight.value;
  const std::size_t rows = w.rank() >= 2 ? w.size() / w.row_length() : 1;
  const std::size_t cols = w.row_length();
  Grid grid(cols);
  const auto* steps = layer.as<RecurrentSteps>();
  grid.set_groups(gate_groups(steps, cols, s));
  // A 2-D bias whose rows the layer names (GRU reset_after: b_x, b_h).
  const std::vector<std::string> none;
  const auto& row_labels = steps != nullptr && weight.name == "bias" && w.rank() == 2 ? steps->bias_row_labels : none;
  constexpr std::size_t kMaxRows = 24;
  std::vector<std::size_t> picked;
  if (only_rows != nullptr) {
    picked = *only_rows;
  } else {
    for (std::size_t r = 0; r < rows && r < kMaxRows; ++r) picked.push_back(r);
  }
  for (std::size_t r : picked) {
    std::vector<Cell> cells;
    append_numbers(cells, w.row(r), cols, p.precision());
    std::string label = w.rank() >= 2 ? std::to_string(r) : "";
    if (r < row_labels.size()) label = fmt::format("{}  {}", row_labels[r], r);
    grid.add_row({{label, Tone::dim}}, std::move(cells));
  }
  p.grid(grid, 6);
  if (only_rows != nullptr && picked.size() < rows)
    p.paragraph(fmt::format("only the rows this input looks up are shown; the table has {} rows", rows), "      ",
                Tone::dim);
  else if (picked.size() < rows)
    p.paragraph(fmt::format("{} more rows not shown (maskviz export has every number)", rows - picked.size()),
                "      ", Tone::dim);
}

}  // namespace

void print_weights(Printer& p, const LayerRecord& layer) {
  if (layer.weights.empty() || layer.as<Halves>() != nullptr) return;  // each half shows its own
  p.line("  weights");
  std::vector<std::size_t> looked_up;
  const auto* lookups = layer.as<Lookups>();
  const bool embedding = lookups != nullptr && !lookups->lookups.empty();
  if (embedding) {
    std::set<std::size_t> rows;
    for (const auto& l : lookups->lookups)
      if (p.shows_batch(l.batch) && p.shows_step(l.t)) rows.insert(static_cast<std::size_t>(l.token));
    looked_up.assign(rows.begin(), rows.end());
  }
  for (const auto& w : layer.weights) print_weight(p, layer, w, embedding ? &looked_up : nullptr);
}

}  // namespace maskviz
