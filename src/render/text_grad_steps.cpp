// The terms of the backward pass a learner can check one by one: each step of a recurrent layer with
// what it adds to kernel, recurrent_kernel and bias (a masked step adds exactly 0, and the gradient
// passes through the carried state), and each embedding row with the lookups that fed it.
#include <fmt/format.h>

#include <cmath>
#include <map>

#include "analysis/grad_words.h"
#include "render/text_format.h"
#include "render/text_grad.h"

namespace maskviz {

namespace {

constexpr std::size_t kMatrixRows = 6;  // beyond this, a step's term is summarised

bool all_zero(const Tensor& t) {
  for (float v : t.values)
    if (v != 0.0f) return false;
  return true;
}

void print_term(Printer& p, const NamedTensor& term, bool masked, const std::vector<std::string>& gates) {
  const std::string size = shape_text(term.value.shape);
  if (all_zero(term.value)) {
    p.line(p.style().paint(fmt::format("adds to {:<17} exactly 0 (every entry ±0) {}", term.name, size),
                           masked ? Tone::masked : Tone::dim));
    return;
  }
  if (term.value.rank() == 1 || term.value.dim(0) <= kMatrixRows) {
    p.line(fmt::format("adds to {} {}", term.name, size));
    print_matrix(p, term.value, gates.empty() ? 0 : term.value.row_length() / gates.size(), gates, 2);
    return;
  }
  float largest = 0;
  for (float v : term.value.values) largest = std::max(largest, std::fabs(v));
  p.line(fmt::format("adds to {:<17} max |entry| {} {}", term.name, scalar(largest, p.precision()), size));
}

void print_half(Printer& p, const LayerGradient& layer) {
  const Style& s = p.style();
  for (const auto& step : layer.steps) {
    if (!p.shows_batch(step.batch) || !p.shows_step(step.t)) continue;
    Span title{{fmt::format("b={} t={} ", step.batch, step.t), Tone::plain},
               {s.mask_cell(!step.masked), step.masked ? Tone::masked : Tone::valid}};
    title.push_back(step.masked ? Cell{fmt::format(" masked: {}", kMaskedStepAddsZero), Tone::masked}
                                : Cell{" valid: this step's own term of each weight gradient", Tone::plain});
    if (step.k != step.t) title.push_back({fmt::format(" (processed as step k={})", step.k), Tone::dim});
    p.open_box(title);
    for (const auto& term : step.contributions) print_term(p, term, step.masked, layer.gate_names);
    for (const auto& c : step.carried) {
      p.line(fmt::format("dloss/d{} after this step {}", c.name, shape_text(c.value.shape)));
      print_matrix(p, c.value, 0, {}, 2);
    }
    p.close_box({{step.masked ? "the gradient passed through the carried state unchanged, to the step before"
                              : "the step before receives its share through h_{t-1} (and c_{t-1})",
                  step.masked ? Tone::carried : Tone::dim}});
  }
}

}  // namespace

std::string grad_number(float value, int precision) {
  if (std::isfinite(value) && std::fabs(value) >= 1e6f) return fmt::format("{:.{}e}", value, precision);
  return number(value, precision);
}

void print_matrix(Printer& p, const Tensor& m, std::size_t group, const std::vector<std::string>& group_names,
                  std::size_t indent) {
  const std::size_t cols = m.row_length(), rows = m.size() / cols;
  Grid grid(cols);
  if (group > 0) {
    std::vector<ColumnGroup> groups;
    for (std::size_t g = 0; g * group < cols; ++g)
      groups.push_back({g < group_names.size() ? group_names[g] : "", g * group, std::min(group, cols - g * group)});
    grid.set_groups(std::move(groups));
  }
  for (std::size_t r = 0; r < rows; ++r) {
    std::vector<Cell> cells;
    for (std::size_t c = 0; c < cols; ++c) cells.push_back({grad_number(m.row(r)[c], p.precision()), Tone::plain});
    grid.add_row({{rows == 1 ? "" : fmt::format("row {}", r), Tone::plain}}, std::move(cells));
  }
  p.grid(grid, indent);
}

void print_grad_steps(Printer& p, const LayerGradient& layer) {
  if (layer.sublayers.empty() && layer.steps.empty()) return;
  p.paragraph("step by step, each step's own term of the weight gradients (they sum to the gradients below):", "  ");
  if (layer.sublayers.empty()) {
    print_half(p, layer);
    return;
  }
  for (const auto& half : layer.sublayers) {
    p.line(fmt::format("  {} ({} half)", half.name, &half == &layer.sublayers.front() ? "forward" : "backward"));
    print_half(p, half);
  }
}

void print_grad_lookups(Printer& p, const LayerGradient& layer) {
  const Style& s = p.style();
  if (layer.weights.empty()) return;
  const Tensor& d = layer.weights[0].value;  // [V, F]
  std::map<long long, std::vector<const LookupGradient*>> fed;
  for (const auto& l : layer.lookups) fed[l.token].push_back(&l);
  p.paragraph(fmt::format("dloss/d{} {}: row by row, each the sum of what its lookups sent back (a scatter-add)",
                          layer.weights[0].name, shape_text(d.shape)),
              "  ");
  Grid grid(d.row_length());
  for (std::size_t v = 0; v < d.dim(0); ++v) {
    std::vector<Cell> cells;
    bool zero = true;
    for (std::size_t f = 0; f < d.row_length(); ++f) zero &= d.row(v)[f] == 0.0f;
    for (std::size_t f = 0; f < d.row_length(); ++f)
      cells.push_back({grad_number(d.row(v)[f], p.precision()), zero ? Tone::dim : Tone::plain});
    Span trail;
    const auto it = fed.find(static_cast<long long>(v));
    if (it == fed.end()) {
      trail.push_back({"never looked up: exactly 0", Tone::dim});
    } else {
      trail.push_back({fmt::format("{} ", s.back_arrow()), Tone::plain});
      bool all_masked = true;
      for (const auto* l : it->second) {
        trail.push_back({fmt::format("b={} t={} ", l->batch, l->t), Tone::plain});
        trail.push_back({s.mask_cell(!l->masked), l->masked ? Tone::masked : Tone::valid});
        trail.push_back({" ", Tone::plain});
        all_masked &= l->masked;
      }
      if (all_masked && zero) trail.push_back({"masked: each sent 0", Tone::masked});
    }
    grid.add_row({{fmt::format("row {}", v), Tone::plain}}, std::move(cells), std::move(trail));
  }
  p.grid(grid, 4);
}

}  // namespace maskviz
