// The kinds recorded per row or per sequence, as text: an Embedding's lookups, a Dense layer's rows,
// a pooling layer's reductions over time.
#include <fmt/format.h>

#include "render/text_cells.h"
#include "render/text_equations.h"
#include "render/text_layer_parts.h"

namespace maskviz {

void print_lookups(Printer& p, const LayerRecord& layer, const Lookups& lookups) {
  const std::size_t F = layer.output.row_length();
  const std::size_t T = layer.output.rank() == 3 ? layer.output.dim(1) : 1;
  Grid grid(1 + F);
  grid.set_groups({{"token", 0, 1}, {"embeddings[token] = output", 1, F}});
  for (const auto& l : lookups.lookups) {
    if (!p.shows_batch(l.batch) || !p.shows_step(l.t)) continue;
    std::vector<Cell> cells{{std::to_string(l.token), Tone::plain}};
    append_numbers(cells, layer.output.row(l.batch * T + l.t), F, p.precision());
    Span trail;
    if (l.masked) trail = {{"masked, yet looked up: a real vector", Tone::masked}};
    grid.add_row(step_label(p, l.batch, l.t, mask_at(layer.output_mask, l.batch, l.t)), std::move(cells),
                 std::move(trail));
  }
  p.line(fmt::format("  lookups{}output {}", p.style().sep(), shape_text(layer.output.shape)));
  p.grid(grid, 4);
}

// A per-row layer (Dense) at full detail: one row per (sequence, step), masked rows computed like any other.
void print_rows(Printer& p, const LayerRecord& layer, const Rows& rows) {
  const Style& s = p.style();
  const StepRecord& sample = rows.rows.front();
  const std::size_t D = sample.input.size(), H = sample.output.size();
  const std::string& activation = rows.activation;
  const bool linear = activation == "linear";
  const bool sequence = layer.input_shape.size() == 3;
  // The input x is the previous layer's output, printed there: when it is too wide to sit beside the
  // results (a Flatten before this Dense), it is left out here.
  const std::size_t number_width = static_cast<std::size_t>(p.precision()) + 4;
  const std::size_t result_blocks = linear ? 2 : 3;
  const bool show_x = 14 + (D + result_blocks * H) * number_width + 3 * result_blocks <= p.width();
  const std::size_t x_cols = show_x ? D : 0;
  std::vector<ColumnGroup> groups;
  if (show_x) groups.push_back({"x", 0, D});
  groups.push_back({fmt::format("x {} W", s.dot()), x_cols, H});
  groups.push_back({linear ? fmt::format("y = x {} W + b", s.dot()) : fmt::format("z = x {} W + b", s.dot()), x_cols + H, H});
  const bool has_bias = !sample.biases.empty();
  if (!has_bias) groups.back().name = linear ? "y" : "z";
  if (!linear) groups.push_back({fmt::format("y = {}(z)", activation_symbol(activation, s)), x_cols + 2 * H, H});
  Grid grid(x_cols + result_blocks * H);
  grid.set_groups(groups);
  for (const auto& step : rows.rows) {
    if (!p.shows_batch(step.batch) || (sequence && !p.shows_step(step.t))) continue;
    std::vector<Cell> cells;
    if (show_x) cells = numbers(step.input, p.precision());
    if (!step.products.empty())
      append_numbers(cells, step.products[0].result.data(), step.products[0].result.size(), p.precision());
    if (!step.pre_activations.empty())
      append_numbers(cells, step.pre_activations[0].value.data(), step.pre_activations[0].value.size(), p.precision(),
                     linear ? Tone::heading : Tone::plain);
    if (!linear) append_numbers(cells, step.output.data(), step.output.size(), p.precision(), Tone::heading);
    Span trail;
    if (step.masked) trail = {{"masked, computed anyway", Tone::masked}};
    Span label = sequence ? step_label(p, step.batch, step.t, mask_at(layer.input_mask, step.batch, step.t))
                          : Span{{fmt::format("b={}", step.batch), Tone::plain}};
    grid.add_row(std::move(label), std::move(cells), std::move(trail));
  }
  p.paragraph(fmt::format("rows{}one per {}; the last block is the output {}{}", s.sep(), sequence ? "step" : "sample",
                          shape_text(layer.output.shape),
                          show_x ? "" : fmt::format("; x {} is the output of the layer before", shape_text(layer.input_shape))),
              "  ");
  p.grid(grid, 4);
}

void print_reductions(Printer& p, const LayerRecord& layer, const Reductions& reductions, const Tensor* input) {
  const Style& s = p.style();
  const bool average = reductions.kind == Reductions::Kind::average;
  const bool have_input = input != nullptr && input->rank() == 3;
  const std::size_t T = have_input ? input->dim(1) : 0, F = layer.output.row_length();
  p.line(average ? "  the mean over time, per sequence" : "  the max over time, per sequence and feature");
  bool first = true;
  for (const auto& r : reductions.reductions) {
    if (!p.shows_batch(r.batch)) continue;
    if (!first) p.line();
    first = false;
    Grid grid(F);
    if (have_input) {
      for (std::size_t t = 0; t < T; ++t) {
        if (!p.shows_step(t)) continue;
        const bool counted = t < r.counted.size() && r.counted[t] != 0;
        Span trail;
        if (!counted) trail = {{"not counted", Tone::masked}};
        grid.add_row(step_label(p, r.batch, t, mask_at(layer.input_mask, r.batch, t)),
                     numbers(Tensor({F}, std::vector<float>(input->row(r.batch * T + t), input->row(r.batch * T + t) + F)),
                             p.precision(), counted ? Tone::plain : Tone::dim),
                     std::move(trail));
      }
    }
    const Tensor out({F}, std::vector<float>(layer.output.row(r.batch), layer.output.row(r.batch) + F));
    if (average) {
      grid.add_row({{fmt::format("{} counted steps", s.sigma()), Tone::plain}}, numbers(r.sum, p.precision()),
                   {shape_cell(r.sum.shape)});
      grid.add_row({{fmt::format("/ {} = output", whole_or_number(r.divisor, p.precision())), Tone::heading}},
                   numbers(out, p.precision(), Tone::heading),
                   {shape_cell(out.shape), {r.non_finite ? "  0/0: every step masked" : "", Tone::warning}});
    } else {
      grid.add_row({{"max = output", Tone::heading}}, numbers(out, p.precision(), Tone::heading), {shape_cell(out.shape)});
      std::vector<Cell> from;
      std::size_t padded = 0;
      for (std::size_t f = 0; f < r.argmax.size(); ++f) {
        const bool pad = f < r.argmax_masked.size() && r.argmax_masked[f] != 0;
        padded += pad ? 1 : 0;
        from.push_back({fmt::format("t={}{}", r.argmax[f], pad ? std::string(" ") + s.mask_cell(false) : ""),
                        pad ? Tone::masked : Tone::dim});
      }
      Span trail;
      if (padded > 0) trail = {{fmt::format("{} from a padded step", plural(padded, "value", "values")), Tone::masked}};
      grid.add_row({{"taken from", Tone::plain}}, std::move(from), std::move(trail));
    }
    p.grid(grid, 4);
  }
}

}  // namespace maskviz
