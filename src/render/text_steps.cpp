// A recurrent layer's steps as text. At full detail each step is a box that reads like the cell's
// equations: operands, products and gates in the gate blocks' columns, what the cell computed, what is
// kept. At steps detail, one row per step with the states kept and the output.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "analysis/mask_words.h"
#include "render/text_cells.h"
#include "render/text_equations.h"
#include "render/text_layer_parts.h"

namespace maskviz {

Span output_trail(const Printer& p, const std::vector<StepRecord>& steps, std::size_t index) {
  const StepRecord& step = steps[index];
  if (step.output_source == OutputSource::zeros) return {{"= 0 (zero_output_for_mask)", Tone::carried}};
  if (step.output_source == OutputSource::previous_output)
    return {{fmt::format("{} {}", p.style().back_arrow(), carried_from_words(steps, index, false)), Tone::carried}};
  return {};
}

namespace {

std::string carried_text(const Printer& p, const std::vector<StepRecord>& steps, std::size_t index) {
  return fmt::format("{} {}", p.style().back_arrow(), carried_from_words(steps, index, true));
}

// One step of a recurrent layer at full detail, in a box: (1) the operands, (2) the gate block,
// (3) what the cell computed, (4) what is kept. `steps` is the layer's whole list, `index` this step.
struct StepView {
  const RecurrentSteps& layer;
  const std::vector<StepRecord>& steps;
  std::size_t index;
  const StepRecord& step() const { return steps[index]; }
};

void print_operands(Printer& p, const StepRecord& step) {
  const Style& s = p.style();
  const int precision = p.precision();
  Grid operands(std::max<std::size_t>(step.input.size(), step.prev_states.empty() ? 0 : step.prev_states[0].value.size()));
  operands.add_row({{"x_t", Tone::plain}}, numbers(step.input, precision), {shape_cell(step.input.shape)});
  for (const auto& prev : step.prev_states)
    operands.add_row({{s.text(prev.name), Tone::plain}}, numbers(prev.value, precision), {shape_cell(prev.value.shape)});
  p.grid(operands);
}

// Operands the cell made from a gate on the way (GRU: r ⊙ h_{t-1} before its product, h_h beside the
// reset product), below the block whose rows use them, so that every row can be multiplied out by hand.
void print_operands_made_inside(Printer& p, const StepRecord& step) {
  const Style& s = p.style();
  std::vector<std::pair<std::string, const Tensor*>> made;
  for (const auto& product : step.products) {
    const bool shown = product.lhs_name == "x_t" || std::any_of(step.prev_states.begin(), step.prev_states.end(),
                                                                [&](const NamedTensor& h) { return h.name == product.lhs_name; });
    if (!shown && product.lhs_name != "x") made.push_back({s.text(product.lhs_name), &product.lhs});
  }
  for (const auto& term : step.gated_terms)
    made.push_back({fmt::format("{} = {}", s.text(term.operand_name), s.text(term.operand_formula)), &term.operand});
  if (made.empty()) return;
  std::size_t width = 0;
  for (const auto& [label, value] : made) width = std::max(width, value->size());
  Grid where(width);
  for (const auto& [label, value] : made)
    where.add_row({{"where " + label, Tone::plain}}, numbers(*value, p.precision()), {shape_cell(value->shape)});
  p.grid(where);
}

// The products, gated terms, biases, pre-activations and gates, in the gate blocks' columns.
void print_gate_block(Printer& p, const StepView& v) {
  const Style& s = p.style();
  const StepRecord& step = v.step();
  const Equations& eq = v.layer.equations;
  const int precision = p.precision();
  std::size_t GH = 0;
  std::vector<ColumnGroup> groups;
  for (const auto& gate : step.gates) {
    groups.push_back({s.text(gate.name), GH, gate.value.size()});
    GH += gate.value.size();
  }
  Grid block(GH);
  if (groups.size() > 1) block.set_groups(groups);
  block.set_trails_beside(true);
  const Shape gh_shape{GH};
  bool first = true;
  auto sign = [&](const char* op) { return eq.additive ? std::string(first ? "  " : op) : std::string(); };
  for (const auto& product : step.products) {
    std::vector<Cell> cells(GH);
    for (std::size_t i = 0; i < product.result.size() && product.column + i < GH; ++i)
      cells[product.column + i] = num(product.result.values[i], precision);
    // fmt rather than string + string: GCC 12 warns falsely (-Wrestrict) on the inlined operator+.
    block.add_row({{fmt::format("{}{}", sign("+ "), product_label(product, s)), Tone::plain}}, std::move(cells),
                  {shape_cell(product.result.shape)});
    first = false;
  }
  for (const auto& term : step.gated_terms) {
    std::vector<Cell> cells(GH);
    for (std::size_t i = 0; i < term.result.size() && term.column + i < GH; ++i)
      cells[term.column + i] = num(term.result.values[i], precision);
    block.add_row({{fmt::format("{}{}", sign("+ "), gated_term_label(term, s)), Tone::plain}}, std::move(cells),
                  {shape_cell(term.result.shape)});
    first = false;
  }
  for (const auto& bias : step.biases) {
    block.add_row({{fmt::format("{}{}", sign("+ "), weight_symbol(bias.name)), Tone::plain}}, numbers(bias.value, precision),
                  {shape_cell(bias.value.shape)});
    first = false;
  }
  std::vector<Cell> pre, act;
  for (const auto& z : step.pre_activations) append_numbers(pre, z.value.data(), z.value.size(), precision);
  for (const auto& g : step.gates) append_numbers(act, g.value.data(), g.value.size(), precision, Tone::heading);
  block.add_row({{eq.additive ? "= z" : "pre-activation", Tone::plain}}, std::move(pre), {shape_cell(gh_shape)});
  block.add_row({{"activated", Tone::plain}}, std::move(act), {shape_cell(gh_shape)});
  p.grid(block);
  print_operands_made_inside(p, step);
}

// What the cell computed, in the order the equations compute it, each with its formula.
void print_candidates(Printer& p, const StepView& v, std::size_t H) {
  const Style& s = p.style();
  const StepRecord& step = v.step();
  const auto& formulas = v.layer.equations.states;
  Grid results(H);
  std::vector<const NamedTensor*> ordered;
  for (const auto& [name, formula] : formulas)
    for (const auto& c : step.candidate_states)
      if (c.name == name) ordered.push_back(&c);
  if (ordered.size() != step.candidate_states.size()) {
    ordered.clear();
    for (const auto& c : step.candidate_states) ordered.push_back(&c);
  }
  for (const NamedTensor* c : ordered) {
    std::string label = s.text(c->name);
    for (const auto& [name, formula] : formulas)
      if (name == c->name) label += " = " + s.text(formula);
    Span trail{shape_cell(c->value.shape)};
    if (step.masked) trail.push_back({"  discarded", Tone::discarded});
    results.add_row({{label, Tone::plain}},
                    numbers(c->value, p.precision(), step.masked ? Tone::discarded : Tone::plain), std::move(trail));
  }
  p.grid(results);
}

// What is kept, in its own columns: short labels leave room for where each value came from.
void print_kept(Printer& p, const StepView& v, std::size_t H) {
  const Style& s = p.style();
  const StepRecord& step = v.step();
  const int precision = p.precision();
  Grid kept_grid(H);
  if (step.masked) {
    for (const auto& kept : step.kept_states)
      kept_grid.add_row({{"kept " + s.text(kept.name), Tone::carried}}, numbers(kept.value, precision, Tone::carried),
                        {shape_cell(kept.value.shape), {"  " + carried_text(p, v.steps, v.index), Tone::carried}});
  }
  Span out_trail{shape_cell(step.output.shape)};
  const Span source = output_trail(p, v.steps, v.index);
  if (!source.empty()) {
    out_trail.push_back({"  ", Tone::plain});
    out_trail.insert(out_trail.end(), source.begin(), source.end());
  }
  kept_grid.add_row({{"output", Tone::heading}},
                    numbers(step.output, precision, step.masked ? Tone::carried : Tone::plain), std::move(out_trail));
  p.grid(kept_grid);
}

// The bracketed number that ends each row of a step box, explained once per output, above the first box.
void explain_row_lengths(Printer& p, const RecurrentSteps& layer, const StepRecord& step) {
  if (!p.first_time("row lengths")) return;
  const Style& s = p.style();
  const std::size_t D = step.input.size(), H = layer.units, G = layer.gate_names.size();
  std::vector<std::string> names;
  for (const auto& name : layer.gate_names) names.push_back(s.text(name));
  const std::string gates =
      G > 1 ? fmt::format(", a gate row [{}] the {} gate blocks {} of {} units each", G * H, G, fmt::join(names, ", "), H)
            : "";
  p.paragraph(fmt::format("[n] ending a row: how many numbers the row holds. x_t [{}] is one input step of {} "
                          "features, {} [{}] a state of {} units{}. Blocks too wide for one line are drawn in parts, "
                          "the length after the last part; a shorter row fills only the blocks it has.",
                          D, D, s.text("h_{t-1}"), H, H, gates),
              "  ", Tone::dim);
}

void print_full_step(Printer& p, const StepView& v) {
  const Style& s = p.style();
  const StepRecord& step = v.step();
  const bool backwards = v.layer.go_backwards;
  Span title = step_label(p, step.batch, step.t, !step.masked, backwards ? std::optional(step.k) : std::nullopt);
  if (step.masked)
    title.push_back({fmt::format(" masked: {}", kMaskedStepRuns), Tone::masked});
  else
    title.push_back({" valid", Tone::valid});
  p.open_box(title);
  print_operands(p, step);
  print_gate_block(p, v);
  const std::size_t H = step.gates.empty() ? 0 : step.gates[0].value.size();
  print_candidates(p, v, H);
  print_kept(p, v, H);
  std::vector<std::string> names;
  for (const auto& kept : step.kept_states) names.push_back(s.text(kept.name));
  const std::string joined = fmt::format("{}", fmt::join(names, " and "));
  p.close_box({{step.masked ? fmt::format("{} carried into the next step unchanged; no weight was touched", joined)
                            : fmt::format("new {} carried into the next step", joined),
                step.masked ? Tone::carried : Tone::dim}});
}

// Recurrent steps at `steps` detail: one row per step, the states kept and the output.
void print_step_table(Printer& p, const std::vector<StepRecord>& steps, bool backwards) {
  const Style& s = p.style();
  const StepRecord& sample = steps.front();
  std::size_t columns = 0;
  std::vector<ColumnGroup> groups;
  for (const auto& kept : sample.kept_states) {
    groups.push_back({"kept " + s.text(kept.name), columns, kept.value.size()});
    columns += kept.value.size();
  }
  // The output is the new h in every cell here; it gets its own columns only where it is not (zeros
  // from zero_output_for_mask).
  const bool show_output = std::any_of(steps.begin(), steps.end(), [](const StepRecord& step) {
    return step.kept_states.empty() || step.output.values != step.kept_states[0].value.values;
  });
  if (show_output) {
    groups.push_back({"output", columns, sample.output.size()});
    columns += sample.output.size();
  }
  Grid grid(columns);
  grid.set_groups(groups);
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const StepRecord& step = steps[i];
    if (!p.shows_batch(step.batch) || !p.shows_step(step.t)) continue;
    const Tone tone = step.masked ? Tone::carried : Tone::plain;
    std::vector<Cell> cells;
    for (const auto& kept : step.kept_states) append_numbers(cells, kept.value.data(), kept.value.size(), p.precision(), tone);
    if (show_output) append_numbers(cells, step.output.data(), step.output.size(), p.precision(), tone);
    Span trail;
    if (step.masked) trail = {{carried_text(p, steps, i), Tone::carried}};
    if (step.masked && step.output_source == OutputSource::zeros) trail.push_back({", output 0", Tone::carried});
    grid.add_row(step_label(p, step.batch, step.t, !step.masked, backwards ? std::optional(step.k) : std::nullopt),
                 std::move(cells), std::move(trail));
  }
  p.paragraph(fmt::format("steps{}what each step keeps{} (the steps detail records no products; --detail full "
                          "shows them)",
                          s.sep(), show_output ? "" : fmt::format("; the output is the kept {}", s.text(sample.kept_states[0].name))),
              "  ");
  p.grid(grid, 4);
}

}  // namespace

void print_recurrent_steps(Printer& p, const LayerRecord&, const RecurrentSteps& layer) {
  const bool backwards = layer.go_backwards;
  const bool full = !layer.steps.empty() && !layer.steps.front().gates.empty();
  if (!full) {
    print_step_table(p, layer.steps, backwards);
    return;
  }
  std::string order = backwards ? "in processing order: go_backwards walks from the last step (k counts the steps "
                                  "taken, t is the input position)"
                                : "in time order";
  p.paragraph(fmt::format("steps, {}", order), "  ");
  for (std::size_t i = 0; i < layer.steps.size(); ++i) {
    const StepRecord& step = layer.steps[i];
    if (!p.shows_batch(step.batch) || !p.shows_step(step.t)) continue;
    explain_row_lengths(p, layer, step);
    print_full_step(p, StepView{layer, layer.steps, i});
  }
}

}  // namespace maskviz
