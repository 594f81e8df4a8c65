// `maskviz diff`: the masked and the unmasked run side by side. Per layer: the same or not, the first
// step (per sequence) where they part, the largest difference, and the differing steps side by side;
// then the loss both ways and a verdict in plain words. The masks differ by design: they are shown,
// never counted. Whether the runs differ (exit status 1) is the analysis' answer (analysis/compare.h).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "render/render.h"
#include "analysis/attention_compare.h"
#include "analysis/compare.h"
#include "render/text_format.h"
#include "render/text_grad.h"
#include "render/text_header.h"
#include "render/text_loss.h"
#include "analysis/mask_story.h"
#include "analysis/recap.h"
#include "render/text_style.h"
#include "render/text_mask_path.h"

namespace maskviz {

namespace {

constexpr std::size_t kMaxDifferingRows = 24;  // without a selection; --batch/--steps show the rest

std::string where_text(const Shape& shape, std::size_t index) {
  const Position at = position_of(shape, index);
  if (at.t == kNoStep) return fmt::format("b={}, column {}", at.b, at.f);
  return fmt::format("b={} t={}, column {}", at.b, at.t, at.f);
}

std::string first_steps_text(const LayerComparison& c, const Printer& p) {
  std::vector<std::string> parts;
  if (!c.first_step.empty()) {
    for (std::size_t b = 0; b < c.first_step.size(); ++b)
      if (p.shows_batch(b) && c.first_step[b] != kNoStep) parts.push_back(fmt::format("b={} t={}", b, c.first_step[b]));
  } else if (!c.output.identical()) {
    const Tensor& a = c.masked->output;
    const Tensor& u = c.unmasked->output;
    const std::size_t F = a.row_length();
    for (std::size_t row = 0; row < a.size() / F && a.shape == u.shape; ++row) {
      if (!p.shows_batch(row)) continue;
      for (std::size_t f = 0; f < F; ++f)
        if (!same_value(a.values[row * F + f], u.values[row * F + f])) {
          parts.push_back(fmt::format("b={}", row));
          break;
        }
    }
  }
  return parts.empty() ? "-" : fmt::format("{}", fmt::join(parts, ", "));
}

std::string first_valid_text(const LayerComparison& c, const Printer& p) {
  if (c.first_valid_step.empty()) return first_steps_text(c, p);
  std::vector<std::string> parts;
  for (std::size_t b = 0; b < c.first_valid_step.size(); ++b)
    if (p.shows_batch(b) && c.first_valid_step[b] != kNoStep)
      parts.push_back(fmt::format("b={} t={}", b, c.first_valid_step[b]));
  return parts.empty() ? "-" : fmt::format("{}", fmt::join(parts, ", "));
}

void print_layer_table(Printer& p, const RunComparison& comparison) {
  const Style& s = p.style();
  p.heading("layers");
  auto make_table = [&](bool with_type) {
    const std::size_t first = with_type ? 1 : 0;
    Grid table(3 + first);
    table.set_gap(3);
    table.set_uniform(false);
    table.set_label_header({{"layer", Tone::heading}});
    if (with_type) {
      table.set_header(0, "type");
      table.set_left_aligned(0);
    }
    table.set_header(first, "output");
    table.set_left_aligned(first);
    table.set_header(first + 1, s.text(fmt::format("max |{}| valid", s.delta())));
    table.set_header(first + 2, "masked");
    table.set_trail_header({{s.text("first valid Δ at"), Tone::heading}});
    for (const auto& c : comparison.layers) {
      const bool same = c.identical();
      Tone tone = same ? Tone::good : Tone::bad;
      std::string verdict = same ? "identical" : "differs";
      if (!c.counted) {
        verdict = "not selected";
        tone = Tone::dim;
      }
      std::vector<Cell> cells;
      if (with_type) cells.push_back({c.masked->type, Tone::plain});
      cells.push_back({verdict, tone});
      cells.push_back({c.at_valid.identical() ? "0" : scalar(c.at_valid.max_abs, p.precision()),
                       c.at_valid.identical() ? Tone::plain : Tone::bad});
      cells.push_back({!c.split ? "-" : c.at_masked.identical() ? "0" : scalar(c.at_masked.max_abs, p.precision()),
                       Tone::dim});
      table.add_row({{c.masked->name, Tone::plain}}, std::move(cells),
                    {{c.at_valid.identical() ? "-" : first_valid_text(c, p), Tone::plain}});
    }
    return table;
  };
  Grid table = make_table(true);
  if (!p.fits(table, 2)) table = make_table(false);
  p.grid(table, 2);
  p.paragraph(s.text("max |Δ| at valid steps, then at masked steps (the masked run's mask), and the first valid step "
              "that differs. A difference at a masked step is there by design (the "
              "masked run carried the step over or ignored it, and a masked loss weighs it 0). The masks themselves "
              "differ by design too (the unmasked run has none): they are shown, not counted."),
              "  ", Tone::dim);
  p.line();
}

// The differing rows of one layer's output, the masked run beside the unmasked one.
void print_side_by_side(Printer& p, const LayerComparison& c, ArithmeticCheck& check) {
  const Style& s = p.style();
  const Tensor& a = c.masked->output;
  const Tensor& u = c.unmasked->output;
  const std::size_t F = a.row_length();
  const bool timed = a.rank() == 3;
  const std::size_t T = timed ? a.dim(1) : 1;
  const OptMask& mask = c.masked->output_mask ? c.masked->output_mask : c.masked->input_mask;
  Grid grid(2 * F + 1);
  grid.set_groups({{"masked run", 0, F}, {"unmasked run", F, F}, {fmt::format("max |{}|", s.delta()), 2 * F, 1}});
  std::size_t rows = 0, left_out = 0;
  const bool selected = p.options().batch || p.options().steps;
  for (std::size_t row = 0; row < a.size() / F; ++row) {
    const std::size_t b = row / T, t = row % T;
    if (!p.shows_batch(b) || (timed && !p.shows_step(t))) continue;
    float gap = 0;
    std::size_t widest = 0;
    bool differs = false;
    for (std::size_t f = 0; f < F; ++f) {
      const float x = a.values[row * F + f], y = u.values[row * F + f];
      if (same_value(x, y)) continue;
      differs = true;
      if (const float g = gap_between(x, y); wider_gap(g, gap)) gap = g, widest = row * F + f;
    }
    if (differs)
      check.check(std::fabs(as_printed(a.values[widest], p.precision()) - as_printed(u.values[widest], p.precision())),
                  gap, printed_gap(a.values[widest], u.values[widest], p.precision()));
    if (!differs) continue;
    if (!selected && rows == kMaxDifferingRows) {
      ++left_out;
      continue;
    }
    ++rows;
    std::vector<Cell> cells;
    for (std::size_t f = 0; f < F; ++f) cells.push_back({number(a.values[row * F + f], p.precision())});
    for (std::size_t f = 0; f < F; ++f) cells.push_back({number(u.values[row * F + f], p.precision())});
    cells.push_back({scalar(gap, p.precision()), Tone::bad});
    Span label{{timed ? fmt::format("b={} t={}", b, t) : fmt::format("b={}", b), Tone::plain}};
    if (timed && mask && b < mask->batch && t < mask->time) {
      label.push_back({" ", Tone::plain});
      label.push_back({s.mask_cell(mask->at(b, t)), mask->at(b, t) ? Tone::valid : Tone::masked});
    }
    grid.add_row(std::move(label), std::move(cells));
  }
  if (rows == 0) return;
  p.line(fmt::format("  differing {}, side by side", timed ? "steps" : "rows"));
  p.grid(grid, 4);
  if (left_out > 0)
    p.paragraph(fmt::format("{} more differing {} not shown: pick some with --batch I and --steps A:B", left_out,
                            timed ? "steps" : "rows"),
                "    ", Tone::dim);
}

// Attention layers: which rows of the weights part, first by (b, head, t), and how many are fully masked.
void print_attention_diff(Printer& p, const LayerComparison& c) {
  const AttentionDiff d = compare_attention(*c.masked, *c.unmasked);
  if (d.total_rows == 0) return;
  if (d.rows.empty()) {
    p.line("  attention weights: the same in both runs");
    return;
  }
  const AttentionRowDiff& first = d.rows.front();
  const auto fully = static_cast<std::size_t>(
      std::count_if(d.rows.begin(), d.rows.end(), [](const AttentionRowDiff& r) { return r.fully_masked; }));
  float max_abs = 0;
  for (const auto& r : d.rows) max_abs = std::max(max_abs, r.max_abs);
  p.paragraph(fmt::format("attention weights part in {} of {} rows (b, head, t), first at b={} head {} t={}; "
                          "largest |{}| = {}; {} of the differing rows are fully masked in the masked run",
                          d.rows.size(), d.total_rows, first.b, first.n, first.t, p.style().delta(),
                          scalar(max_abs, p.precision()), fully),
              "  ");
}

void print_layer_detail(Printer& p, const LayerComparison& c) {
  const Style& s = p.style();
  const LayerRecord& m = *c.masked;
  p.heading(fmt::format("{} {} {}: differs", m.name, s.bullet(), m.type));
  p.paragraph(mask_action_words(m), "  mask    ");
  const OptMask& shown = m.mask_action == MaskAction::created ? m.output_mask : m.input_mask;
  if (shown) p.mask_rows(*shown, 10);
  if (!c.first_step.empty()) {
    for (std::size_t b = 0; b < c.first_step.size(); ++b) {
      if (!p.shows_batch(b)) continue;
      const std::size_t t = c.first_step[b];
      if (t == kNoStep) {
        p.line(fmt::format("  b={}: the same at every step", b));
        continue;
      }
      std::string why;
      if (shown && b < shown->batch && t < shown->time)
        why = shown->at(b, t) ? fmt::format(" (a valid step {})", s.mask_cell(true))
                              : fmt::format(" (a masked step {}: a difference there is by design)", s.mask_cell(false));
      std::string valid;
      if (c.split && b < c.first_valid_step.size() && c.first_valid_step[b] != t)
        valid = c.first_valid_step[b] == kNoStep ? "; no valid step differs"
                                                 : fmt::format("; the first valid step that differs is t={}",
                                                               c.first_valid_step[b]);
      p.paragraph(fmt::format("b={}: the runs part at t={}{}{}", b, t, why, valid), "  ");
    }
  }
  ArithmeticCheck check(p.precision());
  auto largest = [&](const TensorDiff& d, const char* where) {
    const float x = m.output.values[d.max_index], y = c.unmasked->output.values[d.max_index];
    check.check(std::fabs(as_printed(x, p.precision()) - as_printed(y, p.precision())), d.max_abs,
                printed_gap(x, y, p.precision()));
    p.paragraph(s.text(fmt::format("largest |Δ|{} = {} at {} (masked run {}, unmasked run {})", where,
                                   scalar(d.max_abs, p.precision()), where_text(m.output.shape, d.max_index),
                                   number(x, p.precision()), number(y, p.precision()))),
                "  ");
  };
  if (!c.at_valid.identical()) largest(c.at_valid, c.split ? " at a valid step" : "");
  if (!c.at_masked.identical()) largest(c.at_masked, " at a masked step (by design)");
  if (!c.output.identical()) print_side_by_side(p, c, check);
  if (!check.closes()) p.note(s.text(check.words()), 2);
  print_attention_diff(p, c);
  for (std::size_t i = 0; i < c.states.size(); ++i) {
    if (c.states[i].identical()) continue;
    p.paragraph(fmt::format("final state {} differs: largest |{}| = {}", s.text(m.states[i].name), s.delta(),
                            scalar(c.states[i].max_abs, p.precision())),
                "  ");
  }
  p.line();
}

void print_loss_both(Printer& p, const Trace& trace, const RunComparison& comparison) {
  const Style& s = p.style();
  const LossRecord& m = *trace.masked.loss;
  const LossRecord& u = *trace.unmasked.loss;
  p.heading(fmt::format("loss {} {}", s.bullet(), m.name));
  print_loss_terms_both(p, m, u);
  p.paragraph(fmt::format("{}  ({})", loss_reduction_text(p, m),
                          m.mask ? fmt::format("{} of {} terms count", m.valid, m.total) : "every term counts"),
              "  masked run    ");
  p.paragraph(fmt::format("{}  (every term counts)", loss_reduction_text(p, u)), "  unmasked run  ");
  ArithmeticCheck check(p.precision());
  const float gap = std::fabs(m.value - u.value);
  check.check(std::fabs(as_printed(m.value, p.precision()) - as_printed(u.value, p.precision())), gap,
              printed_gap(m.value, u.value, p.precision()));
  if (comparison.loss_identical)
    p.line("  " + s.paint("the same loss in both runs", Tone::good));
  else
    p.line("  " + s.paint(fmt::format("differs by {}", scalar(gap, p.precision())), Tone::bad));
  if (!check.closes()) p.note(s.text(check.words()), 2);
  p.line();
}

}  // namespace

void render_diff(const Trace& trace, const TextOptions& options, std::ostream& out) {
  Printer p(options);
  const Scenario& scenario = *trace.scenario;
  print_header(p, scenario, trace.detail, "diff");
  print_input(p, scenario);
  const RunComparison whole = compare_runs(trace);
  const RunComparison selected = compare_runs(trace, options.selection());
  print_mask_path(p, trace, whole, false);
  p.line();
  print_layer_table(p, selected);
  for (const auto& c : selected.layers)
    if (c.counted && !c.identical()) print_layer_detail(p, c);
  if (trace.masked.loss && trace.unmasked.loss && !options.layer) print_loss_both(p, trace, selected);
  if (trace.masked.grad && trace.unmasked.grad && !options.layer) print_gradient_diff(p, *trace.masked.grad, *trace.unmasked.grad);

  if (selected.differs() && !options.layer) {
    const Recap recap = recap_runs(trace, selected, options.selection());
    const std::vector<std::string> lines =
        valid_difference_sentences(recap, selected, [&](float v) { return scalar(v, p.precision()); });
    if (!lines.empty()) {
      p.heading("differences at valid steps");
      for (const auto& line : lines) p.paragraph(p.style().text(line), "  ");
      p.line();
    }
  }

  const bool differs = selected.differs();
  p.heading("verdict");
  std::string scope = options.layer || options.batch || options.steps ? " in the selection" : "";
  if (differs) {
    std::string where = selected.first_layer
                            ? fmt::format("first at {} ({})", selected.layers[*selected.first_layer].masked->name,
                                          selected.layers[*selected.first_layer].masked->type)
                            : "in the loss only";
    p.paragraph(fmt::format("the runs differ{}, {}.", scope, where), "  ", Tone::bad);
  } else {
    p.paragraph(fmt::format("the runs are identical{}: {} the same.", scope,
                            options.layer             ? "the layer's output is"
                            : trace.masked.loss ? "every layer output and the loss are"
                                                : "every layer output is"),
                "  ", Tone::good);
  }
  p.paragraph(mask_story(trace, whole), "  ");
  out << p.finish();
}

}  // namespace maskviz
