// Output heatmaps. [B, T, F]: per sequence, features down and time across, so a masked step is a
// hatched column. [B, F]: sequences down, features across. Both runs share one colour scale, so the
// same colour is the same number; the third panel is |masked − unmasked|, white where they agree.
#include "render/html_heatmap.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "render/html_doc.h"
#include "render/html_panel.h"

namespace maskviz::html {

StepMarks step_marks(const LayerRecord& masked) {
  StepMarks marks;
  const auto* recurrent = masked.as<RecurrentSteps>();
  marks.reversed_rows = recurrent != nullptr && recurrent->go_backwards && recurrent->return_sequences;
  if (masked.output_mask && !marks.reversed_rows) {
    marks.mask = &*masked.output_mask;
    marks.source = "output";
  } else if (masked.input_mask) {
    marks.mask = &*masked.input_mask;
    marks.source = "input";
  }
  return marks;
}

namespace {

struct Scale {
  float lo = std::numeric_limits<float>::infinity(), hi = -std::numeric_limits<float>::infinity(), max_gap = 0;
  void see(float a, float b) {
    for (float v : {a, b})
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    const float gap = same_value(a, b) ? 0.0f : std::fabs(a - b);
    if (std::isfinite(gap)) max_gap = std::max(max_gap, gap);
  }
  void settle() {
    if (lo > hi) lo = hi = 0;
  }
};

// What the three panels of one block share: which flat index each (row, column) is, and the columns' steps.
struct Block {
  std::vector<std::string> rows, cols;
  std::string corner;
  std::vector<long long> col_b, col_t;
  std::vector<std::uint8_t> masked_cols;
  std::function<std::size_t(std::size_t, std::size_t)> index;
};

std::string three_panels(const LayerComparison& c, const Block& k, const Scale& s, const std::string& axes) {
  const Tensor& m = c.masked->output;
  const Tensor& u = c.unmasked->output;
  const std::string shape = fmt::format("{}", fmt::join(m.shape, ","));
  auto attrs = [&](const char* run) {
    return fmt::format("data-layer=\"{}\" data-run=\"{}\" data-axes=\"{}\" data-shape=\"{}\"", escape(c.masked->name),
                       run, axes, shape);
  };
  auto panel = [&](std::string caption, const char* run, auto colour_of) {
    Panel p;
    p.caption = std::move(caption);
    p.attributes = attrs(run);
    p.row_labels = k.rows;
    p.col_labels = k.cols;
    p.corner = k.corner;
    p.col_b = k.col_b;
    p.col_t = k.col_t;
    p.cell = [&k, colour_of](std::size_t r, std::size_t col) { return colour_of(k.index(r, col)); };
    return p;
  };
  Panel pm = panel("masked run", "masked", [&](std::size_t i) {
    return PanelCell{m.values[i], i, value_colour(m.values[i], s.lo, s.hi)};
  });
  pm.hatched = k.masked_cols;
  Panel pu = panel("unmasked run", "unmasked", [&](std::size_t i) {
    return PanelCell{u.values[i], i, value_colour(u.values[i], s.lo, s.hi)};
  });
  pu.padding = k.masked_cols;
  Panel pd = panel("|masked − unmasked|", "difference", [&](std::size_t i) {
    const float gap = same_value(m.values[i], u.values[i]) ? 0.0f
                      : std::isnan(m.values[i]) || std::isnan(u.values[i])
                          ? std::numeric_limits<float>::infinity()
                          : std::fabs(m.values[i] - u.values[i]);
    return PanelCell{gap, i, gap_colour(gap, s.max_gap)};
  });
  pd.hatched = k.masked_cols;
  return fmt::format("<div class=\"run-masked\">{}</div><div class=\"run-unmasked\">{}</div><div>{}</div>",
                     panel_svg(pm), panel_svg(pu), panel_svg(pd));
}

std::string sequence_blocks(const LayerComparison& c, const View& view, const StepMarks& marks) {
  const Tensor& m = c.masked->output;
  const std::size_t B = m.dim(0), T = m.dim(1), F = m.dim(2), Fd = View::features(F);
  std::vector<std::size_t> rows_t;  // output rows drawn
  for (std::size_t r = 0; r < T; ++r) {
    const std::size_t t = marks.reversed_rows ? T - 1 - r : r;
    if (T != view.T ? rows_t.size() < View::kSteps : view.draws_step(t)) rows_t.push_back(r);
  }
  Scale s;
  for (std::size_t b : view.sequences)
    for (std::size_t r : rows_t)
      for (std::size_t f = 0; f < Fd && b < B; ++f) s.see(m.values[(b * T + r) * F + f], c.unmasked->output.values[(b * T + r) * F + f]);
  s.settle();
  std::string out = fmt::format("<div class=\"legends\">{}{}</div>", value_legend(s.lo, s.hi, marks.mask != nullptr),
                                gap_legend(s.max_gap));
  for (std::size_t b : view.sequences) {
    if (b >= B) continue;
    Block k;
    for (std::size_t f = 0; f < Fd; ++f) k.rows.push_back(fmt::format("f={}", f));
    k.corner.push_back(marks.reversed_rows ? 'k' : 't');  // push_back: GCC 12 warns falsely (-Wrestrict) on = "t"
    for (std::size_t r : rows_t) {
      const std::size_t t = marks.reversed_rows ? T - 1 - r : r;
      k.cols.push_back(fmt::format("{}", marks.reversed_rows ? r : t));
      k.col_b.push_back(static_cast<long long>(b));
      k.col_t.push_back(static_cast<long long>(t));
      const bool masked = marks.mask != nullptr && b < marks.mask->batch && t < marks.mask->time && !marks.mask->at(b, t);
      k.masked_cols.push_back(masked ? 1 : 0);
    }
    k.index = [&, b](std::size_t f, std::size_t col) { return (b * T + rows_t[col]) * F + f; };
    out += fmt::format("<div class=\"seq\"><div class=\"seqlabel\">sequence b={}{}</div><div class=\"panels\">{}</div></div>",
                       b, marks.reversed_rows ? " · columns in processing order (k), t = T−1−k" : "",
                       three_panels(c, k, s, "b,t,f"));
  }
  return out;
}

std::string batch_block(const LayerComparison& c, const View& view) {
  const Tensor& m = c.masked->output;
  const std::size_t F = m.dim(1), Fd = View::features(F);
  Block k;
  std::vector<std::size_t> bs;
  for (std::size_t b : view.sequences)
    if (b < m.dim(0)) bs.push_back(b), k.rows.push_back(fmt::format("b={}", b));
  k.corner.push_back('f');
  for (std::size_t f = 0; f < Fd; ++f) k.cols.push_back(fmt::format("{}", f)), k.col_b.push_back(-1), k.col_t.push_back(-1);
  k.index = [&bs, F](std::size_t row, std::size_t f) { return bs[row] * F + f; };
  Scale s;
  for (std::size_t b : bs)
    for (std::size_t f = 0; f < Fd; ++f) s.see(m.values[b * F + f], c.unmasked->output.values[b * F + f]);
  s.settle();
  return fmt::format("<div class=\"legends\">{}{}</div><div class=\"panels\">{}</div>", value_legend(s.lo, s.hi, false),
                     gap_legend(s.max_gap), three_panels(c, k, s, "b,f"));
}

}  // namespace

std::string output_heatmaps(const LayerComparison& c, const View& view) {
  const Tensor& m = c.masked->output;
  if (m.shape != c.unmasked->output.shape) return "<p class=\"dim\">the runs' outputs have different shapes</p>";
  if (m.rank() == 3) return sequence_blocks(c, view, step_marks(*c.masked));
  if (m.rank() == 2) return batch_block(c, view);
  return fmt::format("<p class=\"dim\">an output of shape {} is not drawn</p>", escape(shape_text(m.shape)));
}

}  // namespace maskviz::html
