// Map of this file: (1) small helpers, (2) the layer's head (config, shapes, mask, equations),
// (3) weights, (4) what the record holds per kind: lookups, recurrent steps, Dense rows, reductions,
// (5) the output, (6) print_layer and the summary that tie them together.
#include "render/text_layer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "render/text_equations.h"
#include "render/text_format.h"
#include "render/text_mask_path.h"

namespace maskviz {

namespace {

// (1) helpers ---------------------------------------------------------------------------------------

Cell num(float v, int precision, Tone tone = Tone::plain) { return {number(v, precision), tone}; }

void append_numbers(std::vector<Cell>& cells, const float* values, std::size_t n, int precision,
                    Tone tone = Tone::plain) {
  for (std::size_t i = 0; i < n; ++i) cells.push_back(num(values[i], precision, tone));
}

std::vector<Cell> numbers(const Tensor& t, int precision, Tone tone = Tone::plain) {
  std::vector<Cell> cells;
  append_numbers(cells, t.data(), t.size(), precision, tone);
  return cells;
}

Cell shape_cell(const Shape& shape) { return {shape_text(shape), Tone::dim}; }

bool config_flag(const LayerRecord& layer, const char* key) {
  const auto it = layer.config.find(key);
  return it != layer.config.end() && it->is_boolean() && it->get<bool>();
}

std::string config_string(const LayerRecord& layer, const char* key, const char* fallback) {
  const auto it = layer.config.find(key);
  return it != layer.config.end() && it->is_string() ? it->get<std::string>() : fallback;
}

std::size_t config_units(const LayerRecord& layer) {
  const auto it = layer.config.find("units");
  return it != layer.config.end() && it->is_number_unsigned() ? it->get<std::size_t>() : 0;
}

// Gate block names of a recurrent layer, in Keras' column order.
std::vector<std::string> gate_names(const LayerRecord& layer) {
  if (layer.type == "LSTM") return {"i", "f", "c~", "o"};
  if (layer.type == "GRU") return {"z", "r", "h~"};
  return {};
}

std::vector<ColumnGroup> gate_groups(const LayerRecord& layer, std::size_t columns, const Style& style) {
  const auto names = gate_names(layer);
  const std::size_t H = config_units(layer);
  if (names.empty() || H == 0 || names.size() * H != columns) return {};
  std::vector<ColumnGroup> groups;
  for (std::size_t g = 0; g < names.size(); ++g) groups.push_back({style.text(names[g]), g * H, H});
  return groups;
}

// The label of one (sequence, step) row: "b=0 t=1 □"; "b=0 k=0 t=3 □" in processing order.
Span step_label(const Printer& p, std::size_t b, std::size_t t, std::optional<bool> keep,
                std::optional<std::size_t> k = std::nullopt) {
  Span label{{k ? fmt::format("b={} k={} t={}", b, *k, t) : fmt::format("b={} t={}", b, t), Tone::plain}};
  if (keep) {
    label.push_back({" ", Tone::plain});
    label.push_back({p.style().mask_cell(*keep), *keep ? Tone::valid : Tone::masked});
  }
  return label;
}

std::optional<bool> mask_at(const OptMask& mask, std::size_t b, std::size_t t) {
  if (!mask || b >= mask->batch || t >= mask->time) return std::nullopt;
  return mask->at(b, t);
}

// (2) head ------------------------------------------------------------------------------------------

std::string json_value_text(const nlohmann::json& value, const Style& style);

// The keys a learner looks for first, then the rest in alphabetical order.
std::string json_object_text(const nlohmann::json& object, const Style& style, const std::string& sep) {
  static const std::vector<std::string> first = {"units",      "input_dim",  "output_dim", "mask_zero",
                                                 "mask_value", "activation", "merge_mode", "layer"};
  std::vector<std::string> keys;
  for (const auto& key : first)
    if (object.contains(key)) keys.push_back(key);
  for (const auto& [key, value] : object.items())
    if (key != "type" && std::find(first.begin(), first.end(), key) == first.end()) keys.push_back(key);
  std::string out;
  for (const auto& key : keys) {
    if (!out.empty()) out += sep;
    out += key + "=" + json_value_text(object[key], style);
  }
  return out;
}

std::string json_value_text(const nlohmann::json& value, const Style& style) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_number_float()) return whole_or_number(value.get<float>(), 4);
  if (value.is_object()) return value.value("type", std::string()) + "(" + json_object_text(value, style, ", ") + ")";
  return value.dump();
}

void print_head(Printer& p, const LayerRecord& layer) {
  const Style& s = p.style();
  const std::string config = config_text(layer.config, s);
  if (!config.empty()) p.paragraph(config, "  config  ");
  std::string shapes = fmt::format("input {} {} output {}", shape_text(layer.input_shape), s.arrow(),
                                   shape_text(layer.output_shape));
  for (const auto& state : layer.states) shapes += fmt::format(", state {} {}", state.name, shape_text(state.value.shape));
  p.line("  shapes  " + shapes);
  const bool has_mask = layer.input_mask || layer.output_mask || layer.mask_action != MaskAction::none;
  p.paragraph(mask_action_words(layer), "  mask    ", layer.mask_action == MaskAction::dropped ? Tone::warning
                                                     : has_mask                                ? Tone::plain
                                                                                               : Tone::dim);
  const OptMask& shown = layer.mask_action == MaskAction::created ? layer.output_mask : layer.input_mask;
  if (shown) p.mask_rows(*shown, 10);
  for (const auto& warning : layer.warnings) p.warning(warning, 2);
}

void print_equations(Printer& p, const LayerRecord& layer) {
  const Equations eq = equations_for(layer, p.style());
  if (eq.lines.empty()) return;
  p.line("  equations");
  for (const auto& line : eq.lines) p.preformatted(line, "    ");
  if (layer.type != "Dense" && !layer.input_mask) return;
  if (layer.type == "Dense") return;
  p.paragraph(config_flag(layer, "zero_output_for_mask")
                  ? "masked step: computed as above, then discarded; the states are kept from the step before and "
                    "the output is 0 (zero_output_for_mask)"
                  : "masked step: computed as above, then discarded; the states and the output are kept from the "
                    "step before",
              "    ", Tone::masked);
}

// (3) weights ---------------------------------------------------------------------------------------

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
  grid.set_groups(gate_groups(layer, cols, s));
  const bool gru_bias = layer.type == "GRU" && weight.name == "bias" && w.rank() == 2;
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
    if (gru_bias) label = r == 0 ? "b_x  0" : "b_h  1";
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

void print_weights(Printer& p, const LayerRecord& layer) {
  if (layer.weights.empty() || !layer.sublayers.empty()) return;
  p.line("  weights");
  std::vector<std::size_t> looked_up;
  const bool embedding = layer.type == "Embedding" && !layer.lookups.empty();
  if (embedding) {
    std::set<std::size_t> rows;
    for (const auto& l : layer.lookups)
      if (p.shows_batch(l.batch) && p.shows_step(l.t)) rows.insert(static_cast<std::size_t>(l.token));
    looked_up.assign(rows.begin(), rows.end());
  }
  for (const auto& w : layer.weights) print_weight(p, layer, w, embedding ? &looked_up : nullptr);
}

// (4) per kind --------------------------------------------------------------------------------------

void print_lookups(Printer& p, const LayerRecord& layer) {
  const std::size_t F = layer.output.row_length();
  const std::size_t T = layer.output.rank() == 3 ? layer.output.dim(1) : 1;
  Grid grid(1 + F);
  grid.set_groups({{"token", 0, 1}, {"embeddings[token] = output", 1, F}});
  bool any_masked = false;
  for (const auto& l : layer.lookups) {
    if (!p.shows_batch(l.batch) || !p.shows_step(l.t)) continue;
    std::vector<Cell> cells{{std::to_string(l.token), Tone::plain}};
    append_numbers(cells, layer.output.row(l.batch * T + l.t), F, p.precision());
    Span trail;
    if (l.masked) {
      trail = {{"masked, yet looked up: a real vector", Tone::masked}};
      any_masked = true;
    }
    grid.add_row(step_label(p, l.batch, l.t, mask_at(layer.output_mask, l.batch, l.t)), std::move(cells),
                 std::move(trail));
  }
  p.line(fmt::format("  lookups{}output {}", p.style().sep(), shape_text(layer.output.shape)));
  p.grid(grid, 4);
  (void)any_masked;
}

std::string carried_text(const Printer& p, const std::vector<StepRecord>& steps, std::size_t index) {
  if (index == 0 || steps[index - 1].batch != steps[index].batch)
    return fmt::format("{} the initial state (zeros)", p.style().back_arrow());
  return fmt::format("{} carried over from t={}", p.style().back_arrow(), steps[index - 1].t);
}

Span output_trail(const Printer& p, const std::vector<StepRecord>& steps, std::size_t index) {
  const StepRecord& step = steps[index];
  if (step.output_source == OutputSource::zeros) return {{"= 0 (zero_output_for_mask)", Tone::carried}};
  if (step.output_source == OutputSource::previous_output) {
    if (index == 0 || steps[index - 1].batch != step.batch)
      return {{fmt::format("{} the initial output (zeros)", p.style().back_arrow()), Tone::carried}};
    return {{fmt::format("{} carried over from t={}", p.style().back_arrow(), steps[index - 1].t), Tone::carried}};
  }
  return {};
}

// One step of a recurrent layer at full detail, in a box.
void print_full_step(Printer& p, const LayerRecord& layer, const Equations& eq, const std::vector<StepRecord>& steps,
                     std::size_t index, bool backwards) {
  const Style& s = p.style();
  const StepRecord& step = steps[index];
  const int precision = p.precision();
  Span title = step_label(p, step.batch, step.t, !step.masked, backwards ? std::optional(step.k) : std::nullopt);
  if (step.masked)
    title.push_back({" masked: the cell runs, then its result is discarded", Tone::masked});
  else
    title.push_back({" valid", Tone::valid});
  p.open_box(title);

  // The operands.
  Grid operands(std::max<std::size_t>(step.input.size(), step.prev_states.empty() ? 0 : step.prev_states[0].value.size()));
  operands.add_row({{"x_t", Tone::plain}}, numbers(step.input, precision), {shape_cell(step.input.shape)});
  for (const auto& prev : step.prev_states)
    operands.add_row({{s.text(prev.name), Tone::plain}}, numbers(prev.value, precision), {shape_cell(prev.value.shape)});
  p.grid(operands);

  // The products, biases, pre-activations and gates, in the gate blocks' columns.
  std::size_t GH = 0;
  std::vector<ColumnGroup> groups;
  for (const auto& gate : step.gates) {
    groups.push_back({s.text(gate.name), GH, gate.value.size()});
    GH += gate.value.size();
  }
  const std::size_t H = step.gates.empty() ? 0 : step.gates[0].value.size();
  Grid block(GH);
  if (groups.size() > 1) block.set_groups(groups);
  const Shape gh_shape{GH};
  bool first = true;
  auto sign = [&](const char* op) { return eq.additive ? std::string(first ? "  " : op) : std::string(); };
  for (const auto& product : step.products) {
    std::vector<Cell> cells(GH);
    const std::size_t offset = product_offset(product, H);
    for (std::size_t i = 0; i < product.result.size() && offset + i < GH; ++i)
      cells[offset + i] = num(product.result.values[i], precision);
    block.add_row({{sign("+ ") + product_label(product, layer, s), Tone::plain}}, std::move(cells),
                  {shape_cell(product.result.shape)});
    first = false;
  }
  for (const auto& bias : step.biases) {
    block.add_row({{sign("+ ") + weight_symbol(bias.name), Tone::plain}}, numbers(bias.value, precision),
                  {shape_cell(bias.value.shape)});
    first = false;
  }
  std::vector<Cell> pre, act;
  for (const auto& z : step.pre_activations) append_numbers(pre, z.value.data(), z.value.size(), precision);
  for (const auto& g : step.gates) append_numbers(act, g.value.data(), g.value.size(), precision, Tone::heading);
  block.add_row({{eq.additive ? "= z" : "pre-activation", Tone::plain}}, std::move(pre), {shape_cell(gh_shape)});
  block.add_row({{"activated", Tone::plain}}, std::move(act), {shape_cell(gh_shape)});
  p.grid(block);

  // What the cell computed, and what is kept.
  Grid results(H);
  std::vector<const NamedTensor*> ordered;
  for (const auto& [name, formula] : eq.states)
    for (const auto& c : step.candidate_states)
      if (c.name == name) ordered.push_back(&c);
  if (ordered.size() != step.candidate_states.size()) {
    ordered.clear();
    for (const auto& c : step.candidate_states) ordered.push_back(&c);
  }
  for (const NamedTensor* c : ordered) {
    std::string label = s.text(c->name);
    for (const auto& [name, formula] : eq.states)
      if (name == c->name) label += " = " + formula;
    Span trail{shape_cell(c->value.shape)};
    if (step.masked) trail.push_back({"  discarded", Tone::discarded});
    results.add_row({{label, Tone::plain}}, numbers(c->value, precision, step.masked ? Tone::discarded : Tone::plain),
                    std::move(trail));
  }
  p.grid(results);
  // What is kept, in its own columns: short labels leave room for where each value came from.
  Grid kept_grid(H);
  if (step.masked) {
    for (const auto& kept : step.kept_states)
      kept_grid.add_row({{"kept " + s.text(kept.name), Tone::carried}}, numbers(kept.value, precision, Tone::carried),
                        {shape_cell(kept.value.shape), {"  " + carried_text(p, steps, index), Tone::carried}});
  }
  Span out_trail{shape_cell(step.output.shape)};
  const Span source = output_trail(p, steps, index);
  if (!source.empty()) {
    out_trail.push_back({"  ", Tone::plain});
    out_trail.insert(out_trail.end(), source.begin(), source.end());
  }
  kept_grid.add_row({{"output", Tone::heading}},
                    numbers(step.output, precision, step.masked ? Tone::carried : Tone::plain), std::move(out_trail));
  p.grid(kept_grid);

  std::vector<std::string> names;
  for (const auto& kept : step.kept_states) names.push_back(s.text(kept.name));
  const std::string joined = fmt::format("{}", fmt::join(names, " and "));
  p.close_box({{step.masked ? fmt::format("{} carried into the next step unchanged; no weight was touched", joined)
                            : fmt::format("new {} carried into the next step", joined),
                step.masked ? Tone::carried : Tone::dim}});
}

// Recurrent steps at `steps` detail: one row per step, the states kept and the output.
void print_step_table(Printer& p, const LayerRecord& layer, const std::vector<StepRecord>& steps, bool backwards) {
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
  (void)layer;
}

void print_recurrent_steps(Printer& p, const LayerRecord& layer) {
  const bool backwards = config_flag(layer, "go_backwards");
  const bool full = !layer.steps.empty() && !layer.steps.front().gates.empty();
  if (!full) {
    print_step_table(p, layer, layer.steps, backwards);
    return;
  }
  const Equations eq = equations_for(layer, p.style());
  std::string order = backwards ? "in processing order: go_backwards walks from the last step (k counts the steps "
                                  "taken, t is the input position)"
                                : "in time order";
  p.paragraph(fmt::format("steps, {}", order), "  ");
  for (std::size_t i = 0; i < layer.steps.size(); ++i) {
    const StepRecord& step = layer.steps[i];
    if (!p.shows_batch(step.batch) || !p.shows_step(step.t)) continue;
    print_full_step(p, layer, eq, layer.steps, i, backwards);
  }
}

// Dense at full detail: one row per (sequence, step), masked rows computed like any other.
void print_dense_rows(Printer& p, const LayerRecord& layer) {
  const Style& s = p.style();
  const StepRecord& sample = layer.steps.front();
  const std::size_t D = sample.input.size(), H = sample.output.size();
  const std::string activation = config_string(layer, "activation", "linear");
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
  bool any_masked = false;
  for (const auto& step : layer.steps) {
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
    if (step.masked) {
      trail = {{"masked, computed anyway", Tone::masked}};
      any_masked = true;
    }
    Span label = sequence ? step_label(p, step.batch, step.t, mask_at(layer.input_mask, step.batch, step.t))
                          : Span{{fmt::format("b={}", step.batch), Tone::plain}};
    grid.add_row(std::move(label), std::move(cells), std::move(trail));
  }
  p.paragraph(fmt::format("rows{}one per {}; the last block is the output {}{}", s.sep(), sequence ? "step" : "sample",
                          shape_text(layer.output.shape),
                          show_x ? "" : fmt::format("; x {} is the output of the layer before", shape_text(layer.input_shape))),
              "  ");
  p.grid(grid, 4);
  (void)any_masked;
}

void print_reductions(Printer& p, const LayerRecord& layer, const Tensor* input) {
  const Style& s = p.style();
  const bool average = layer.type == "GlobalAveragePooling1D";
  const bool have_input = input != nullptr && input->rank() == 3;
  const std::size_t T = have_input ? input->dim(1) : 0, F = layer.output.row_length();
  p.line(average ? "  the mean over time, per sequence" : "  the max over time, per sequence and feature");
  bool first = true;
  for (const auto& r : layer.reductions) {
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

// (5) output ----------------------------------------------------------------------------------------

void print_output(Printer& p, const LayerRecord& layer) {
  const Tensor& y = layer.output;
  p.line(fmt::format("  output {}{}what the layer returns", shape_text(y.shape), p.style().sep()));
  const bool steps_here = !layer.steps.empty() && !layer.steps.front().kept_states.empty();
  if (y.rank() == 3) {
    const std::size_t B = y.dim(0), T = y.dim(1), F = y.dim(2);
    // go_backwards with return_sequences: row k of the output is the k-th step taken, input position T-1-k.
    const bool backwards = config_flag(layer, "go_backwards") && config_flag(layer, "return_sequences");
    const OptMask& mask = layer.output_mask ? layer.output_mask : layer.input_mask;
    Grid grid(F);
    for (std::size_t b = 0; b < B; ++b) {
      if (!p.shows_batch(b)) continue;
      for (std::size_t row = 0; row < T; ++row) {
        const std::size_t t = backwards ? T - 1 - row : row;
        if (!p.shows_step(t)) continue;
        Span trail;
        // For a recurrent layer with return_sequences, output row k is step k of the sequence.
        const std::size_t index = b * T + row;
        if (steps_here && index < layer.steps.size() && layer.steps[index].batch == b && layer.steps[index].k == row)
          trail = output_trail(p, layer.steps, index);
        const std::optional<bool> keep = backwards ? mask_at(layer.input_mask, b, t) : mask_at(mask, b, t);
        grid.add_row(step_label(p, b, t, keep, backwards ? std::optional(row) : std::nullopt),
                     numbers(Tensor({F}, std::vector<float>(y.row(index), y.row(index) + F)), p.precision()),
                     std::move(trail));
      }
    }
    p.grid(grid, 4);
  } else if (y.rank() == 2) {
    Grid grid(y.dim(1));
    for (std::size_t b = 0; b < y.dim(0); ++b) {
      if (!p.shows_batch(b)) continue;
      std::vector<Cell> cells;
      append_numbers(cells, y.row(b), y.dim(1), p.precision());
      grid.add_row({{fmt::format("b={}", b), Tone::plain}}, std::move(cells));
    }
    p.grid(grid, 4);
  }
  for (const auto& state : layer.states) {
    p.line(fmt::format("  final state {} {}", p.style().text(state.name), shape_text(state.value.shape)));
    Grid grid(state.value.row_length());
    for (std::size_t b = 0; b < state.value.dim(0); ++b) {
      if (!p.shows_batch(b)) continue;
      std::vector<Cell> cells;
      append_numbers(cells, state.value.row(b), state.value.row_length(), p.precision());
      grid.add_row({{fmt::format("b={}", b), Tone::plain}}, std::move(cells));
    }
    p.grid(grid, 4);
  }
}

void print_body(Printer& p, const LayerRecord& layer, const LayerPlace& place);

void print_merge(Printer& p, const LayerRecord& layer) {
  const Style& s = p.style();
  const std::string mode = config_string(layer, "merge_mode", "concat");
  const auto inner = layer.config.find("layer");
  const bool sequences = inner != layer.config.end() && inner->value("return_sequences", false);
  const std::string y_b = sequences ? "flip(y_backward)" : "y_backward";
  std::string formula;
  if (mode == "concat") formula = fmt::format("[y_forward, {}]", y_b);
  else if (mode == "sum") formula = fmt::format("y_forward + {}", y_b);
  else if (mode == "ave") formula = fmt::format("(y_forward + {}) / 2", y_b);
  else formula = fmt::format("y_forward {} {}", s.odot(), y_b);
  p.paragraph(fmt::format("merge ({}): output = {}", mode, formula), "  ");
}

void print_body(Printer& p, const LayerRecord& layer, const LayerPlace& place) {
  const bool recurrent = !layer.steps.empty() && !layer.steps.front().kept_states.empty();
  const bool dense_rows = !layer.steps.empty() && !recurrent;
  if (!layer.lookups.empty()) print_lookups(p, layer);
  if (recurrent) print_recurrent_steps(p, layer);
  if (dense_rows) print_dense_rows(p, layer);
  if (!layer.reductions.empty()) print_reductions(p, layer, place.input);
  for (std::size_t i = 0; i < layer.sublayers.size(); ++i) {
    const LayerRecord& half = layer.sublayers[i];
    p.line();
    p.heading(fmt::format("{} {} {} ({} half)", half.name, p.style().bullet(), half.type, i == 0 ? "forward" : "backward"));
    print_head(p, half);
    print_equations(p, half);
    if (place.show_weights) print_weights(p, half);
    print_body(p, half, place);
    if (p.options().notes)
      for (const auto& note : half.notes) p.note(note, 2);
  }
  if (!layer.sublayers.empty()) {
    p.line();
    print_merge(p, layer);
  }
  if (layer.lookups.empty() && !dense_rows) {
    if (!layer.sublayers.empty()) p.line();
    print_output(p, layer);
  }
}

}  // namespace

std::string config_text(const nlohmann::json& config, const Style& style) {
  return json_object_text(config, style, style.sep());
}

// (6) the layer ---------------------------------------------------------------------------------------

void print_layer(Printer& p, const LayerRecord& layer, const LayerPlace& place) {
  p.heading(fmt::format("{}/{} {} {} {}", place.index + 1, place.count, layer.name, p.style().bullet(), layer.type));
  print_head(p, layer);
  print_equations(p, layer);
  if (place.show_weights) {
    print_weights(p, layer);
  } else if (!layer.weights.empty() && layer.sublayers.empty()) {
    p.line(p.style().paint("  weights: the same as in the masked run (both runs share them)", Tone::dim));
  }
  print_body(p, layer, place);
  for (const auto& note : layer.notes) p.note(note, 2);
  p.line();
}

void print_layer_summary(Printer& p, const LayerRecord& layer, const LayerPlace& place) {
  const Style& s = p.style();
  p.heading(fmt::format("{}/{} {} {} {}", place.index + 1, place.count, layer.name, s.bullet(), layer.type));
  p.line(fmt::format("  shapes  input {} {} output {}", shape_text(layer.input_shape), s.arrow(),
                     shape_text(layer.output_shape)));
  p.paragraph(mask_action_words(layer), "  mask    ", layer.mask_action == MaskAction::dropped ? Tone::warning : Tone::plain);
  std::size_t masked = 0, recorded = 0;
  const std::vector<StepRecord>& steps = layer.sublayers.empty() ? layer.steps : layer.sublayers.front().steps;
  for (const auto& step : steps) {
    ++recorded;
    masked += step.masked ? 1 : 0;
  }
  if (recorded > 0 && masked > 0)
    p.paragraph(fmt::format("{} of {} steps masked: {}", masked, recorded,
                            steps.front().kept_states.empty() ? "computed anyway (this layer does not read the mask)"
                                                              : "computed, then discarded; the state carried over"),
                "  steps   ");
  float lo = std::numeric_limits<float>::infinity(), hi = -lo;
  double sum = 0;
  std::size_t finite = 0;
  for (float v : layer.output.values) {
    if (!std::isfinite(v)) continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    sum += v;
    ++finite;
  }
  std::string stats = finite == 0 ? "no finite value"
                                  : fmt::format("min {}{}max {}{}mean {}", number(lo, p.precision()), s.sep(),
                                                number(hi, p.precision()), s.sep(),
                                                number(static_cast<float>(sum / static_cast<double>(finite)), p.precision()));
  if (finite < layer.output.size()) stats += fmt::format("{}{} not finite", s.sep(), layer.output.size() - finite);
  p.line("  output  " + stats);
  for (const auto& warning : layer.warnings) p.warning(warning, 2);
  p.line();
}

}  // namespace maskviz
