// One layer of one run as text: config, shapes, the mask, warnings, equations, weights, then what the
// record holds for its kind (one file per kind, see text_layer_parts.h), the output, notes.
// The kinds are std::visit()ed in print_body: a new record kind fails to compile until it is drawn here.
#include "render/text_layer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/overloaded.h"
#include "render/text_cells.h"
#include "render/text_equations.h"
#include "render/text_layer_parts.h"
#include "render/text_mask_path.h"

namespace maskviz {

namespace {

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
  // The config as it is in force in this run: the unmasked run switches the mask's key off.
  nlohmann::json in_force = layer.config;
  const std::string& key = layer.mask_use.switch_key;
  if (layer.mask_action == MaskAction::switched_off && !key.empty() && in_force.contains(key) &&
      in_force[key].is_boolean() && in_force[key].get<bool>())
    in_force[key] = "false (true in the scenario; switched off in this run)";
  const std::string config = config_text(in_force, s);
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

// The equations the layer recorded, and what a masked step does to them.
void print_equations(Printer& p, const LayerRecord& layer) {
  const auto* steps = layer.as<RecurrentSteps>();
  const auto* rows = layer.as<Rows>();
  const Equations* eq = steps != nullptr ? &steps->equations : rows != nullptr ? &rows->equations : nullptr;
  if (eq == nullptr || eq->lines.empty()) return;
  p.line("  equations");
  for (const auto& line : eq->lines) p.preformatted(line, "    ");
  if (steps == nullptr || !layer.input_mask) return;
  p.paragraph(fmt::format("masked step: computed as above, then discarded; {}", masked_step_kept_words(*steps)),
              "    ", Tone::masked);
}

void print_output(Printer& p, const LayerRecord& layer) {
  const auto* recurrent = layer.as<RecurrentSteps>();
  static const std::vector<StepRecord> no_steps;
  const std::vector<StepRecord>& steps = recurrent != nullptr ? recurrent->steps : no_steps;
  const Tensor& y = layer.output;
  p.line(fmt::format("  output {}{}what the layer returns", shape_text(y.shape), p.style().sep()));
  const bool steps_here = !steps.empty() && !steps.front().kept_states.empty();
  if (y.rank() == 3) {
    const std::size_t B = y.dim(0), T = y.dim(1), F = y.dim(2);
    // go_backwards with return_sequences: row k of the output is the k-th step taken, input position T-1-k.
    const bool backwards = recurrent != nullptr && recurrent->go_backwards && recurrent->return_sequences;
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
        if (steps_here && index < steps.size() && steps[index].batch == b && steps[index].k == row)
          trail = output_trail(p, steps, index);
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

void print_merge(Printer& p, const Halves& halves) {
  const Style& s = p.style();
  const std::string& mode = halves.merge_mode;
  const std::string y_b = halves.return_sequences ? "flip(y_backward)" : "y_backward";
  std::string formula;
  if (mode == "concat") formula = fmt::format("[y_forward, {}]", y_b);
  else if (mode == "sum") formula = fmt::format("y_forward + {}", y_b);
  else if (mode == "ave") formula = fmt::format("(y_forward + {}) / 2", y_b);
  else formula = fmt::format("y_forward {} {}", s.odot(), y_b);
  p.paragraph(fmt::format("merge ({}): output = {}", mode, formula), "  ");
}

void print_body(Printer& p, const LayerRecord& layer, const LayerPlace& place);

// Each half as a layer of its own, then the merge.
void print_halves(Printer& p, const Halves& halves, const LayerPlace& place) {
  for (std::size_t i = 0; i < halves.halves.size(); ++i) {
    const LayerRecord& half = halves.halves[i];
    p.line();
    p.heading(fmt::format("{} {} {} ({} half)", half.name, p.style().bullet(), half.type, i == 0 ? "forward" : "backward"));
    print_head(p, half);
    print_equations(p, half);
    if (place.show_weights) print_weights(p, half);
    print_body(p, half, place);
    if (p.options().notes)
      for (const auto& note : half.notes) p.note(note, 2);
  }
  p.line();
  print_merge(p, halves);
}

// What the record holds for this kind of layer, then its output (unless a kind's table already holds
// it row by row: lookups, Dense rows).
void print_body(Printer& p, const LayerRecord& layer, const LayerPlace& place) {
  const bool output_shown = std::visit(
      Overloaded{
          [&](const OutputOnly&) { return false; },
          [&](const Lookups& l) {
            if (l.lookups.empty()) return false;
            print_lookups(p, layer, l);
            return true;
          },
          [&](const RecurrentSteps& r) {
            if (!r.steps.empty()) print_recurrent_steps(p, layer, r);
            return false;
          },
          [&](const Rows& r) {
            if (r.rows.empty()) return false;
            print_rows(p, layer, r);
            return true;
          },
          [&](const Reductions& r) {
            if (!r.reductions.empty()) print_reductions(p, layer, r, place.input);
            return false;
          },
          [&](const Halves& h) {
            print_halves(p, h, place);
            p.line();
            return false;
          },
          [&](const AttentionRecord& a) {
            print_attention(p, layer, a);
            return false;
          },
          [&](const Merge& m) {
            print_merge_masks(p, layer, m);
            return false;
          },
      },
      layer.payload);
  if (!output_shown) print_output(p, layer);
}

// "min · max · mean" of an output, and how many values are not finite.
std::string output_stats(const Printer& p, const Tensor& output) {
  const Style& s = p.style();
  float lo = std::numeric_limits<float>::infinity(), hi = -lo;
  double sum = 0;
  std::size_t finite = 0;
  for (float v : output.values) {
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
  if (finite < output.size()) stats += fmt::format("{}{} not finite", s.sep(), output.size() - finite);
  return stats;
}

// "2 of 8 steps masked: ..." for the kinds recorded per step.
void print_masked_steps(Printer& p, const LayerRecord& layer) {
  static const std::vector<StepRecord> none;
  const auto* halves = layer.as<Halves>();
  const LayerRecord& stepped = halves != nullptr && !halves->halves.empty() ? halves->halves.front() : layer;
  const auto* recurrent = stepped.as<RecurrentSteps>();
  const auto* rows = stepped.as<Rows>();
  const std::vector<StepRecord>& steps = recurrent != nullptr ? recurrent->steps : rows != nullptr ? rows->rows : none;
  std::size_t masked = 0;
  for (const auto& step : steps) masked += step.masked ? 1 : 0;
  if (steps.empty() || masked == 0) return;
  p.paragraph(fmt::format("{} of {} steps masked: {}", masked, steps.size(),
                          recurrent == nullptr ? "computed anyway (this layer does not read the mask)"
                                               : "computed, then discarded; the state carried over"),
              "  steps   ");
}

}  // namespace

std::string config_text(const nlohmann::json& config, const Style& style) {
  return json_object_text(config, style, style.sep());
}

void print_layer(Printer& p, const LayerRecord& layer, const LayerPlace& place) {
  p.heading(fmt::format("{}/{} {} {} {}", place.index + 1, place.count, layer.name, p.style().bullet(), layer.type));
  print_head(p, layer);
  print_equations(p, layer);
  if (place.show_weights) {
    print_weights(p, layer);
  } else if (!layer.weights.empty() && layer.as<Halves>() == nullptr) {
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
  print_masked_steps(p, layer);
  p.line("  output  " + output_stats(p, layer.output));
  for (const auto& warning : layer.warnings) p.warning(warning, 2);
  p.line();
}

}  // namespace maskviz
