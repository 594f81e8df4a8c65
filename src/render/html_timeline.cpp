// A recurrent layer's steps, one row of nodes per sequence in processing order. Under each node the
// state it keeps (its first state, h), one cell per unit. A computed step is reached by a grey arrow from
// the step before; a masked step by an orange arc from the step whose state it carries over (the last
// step that computed one), and the candidate its cell computed and discarded is drawn beside it, faded.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "analysis/mask_words.h"
#include "render/html_doc.h"
#include "render/html_parts.h"

namespace maskviz::html {

namespace {

constexpr int kStep = 50, kLeft = 44, kNodeTop = 40, kNode = 24, kCell = 11;
constexpr std::size_t kUnits = 8;

int node_x(std::size_t column) { return kLeft + static_cast<int>(column) * kStep; }

std::string state_cells(const Tensor& h, int x, std::size_t k, std::size_t H, float lo, float hi, const char* cls) {
  std::string out;
  for (std::size_t f = 0; f < std::min(H, kUnits) && f < h.size(); ++f)
    out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" class=\"{}\" data-i=\"{}\" "
                       "data-v=\"{}\"/>",
                       x, kNodeTop + kNode + 6 + static_cast<int>(f) * kCell, kCell, kCell, value_colour(h.values[f], lo, hi),
                       cls, k * H + f, exact(h.values[f]));
  return out;
}

struct Row {
  std::vector<std::size_t> index;  // into steps, in processing order, drawn ones only
};

// One sequence: nodes, arrows, the kept state and, at masked steps, the discarded candidate.
std::string sequence_row(const RecurrentSteps& r, const Row& row, std::size_t b, float lo, float hi, const char* run,
                         const LayerRecord& layer) {
  const std::size_t H = r.units;
  const std::size_t T = layer.input_shape.size() > 1 ? layer.input_shape[1] : 0;
  std::string body;
  std::size_t origin_col = std::numeric_limits<std::size_t>::max();  // last computed step drawn
  for (std::size_t c = 0; c < row.index.size(); ++c) {
    const StepRecord& s = r.steps[row.index[c]];
    const int x = node_x(c);
    body += fmt::format("<g class=\"node{}\" data-b=\"{}\" data-t=\"{}\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" "
                        "rx=\"4\"{}/><text x=\"{}\" y=\"{}\" class=\"ax\" text-anchor=\"middle\">t={}</text></g>",
                        s.masked ? " masked" : "", b, s.t, x, kNodeTop, kNode, kNode,
                        s.masked ? " fill=\"url(#masked-hatch)\"" : "", x + kNode / 2, 10, s.t);
    if (c > 0 && !s.carried_over)
      body += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" class=\"flow\" marker-end=\"url(#arrow)\"/>",
                          node_x(c - 1) + kNode, kNodeTop + kNode / 2, x - 1, kNodeTop + kNode / 2);
    if (s.carried_over) {
      const int from = origin_col == std::numeric_limits<std::size_t>::max() ? kLeft - 20 : node_x(origin_col) + kNode / 2;
      body += fmt::format("<path class=\"carried\" d=\"M{},{} Q{},{} {},{}\" marker-end=\"url(#arrow-carried)\">"
                          "<title>kept state, unchanged: {}</title></path>",
                          from, kNodeTop - 1, (from + x + kNode / 2) / 2, kNodeTop - 24, x + kNode / 2, kNodeTop - 1,
                          escape(carried_from_words(r.steps, row.index[c], true)));
    } else {
      origin_col = c;
    }
    if (!s.kept_states.empty()) body += state_cells(s.kept_states.front().value, x, s.k, H, lo, hi, "kept");
    if (s.masked && !s.candidate_states.empty()) {
      const NamedTensor* h = &s.candidate_states.front();
      for (const auto& cand : s.candidate_states)
        if (!s.kept_states.empty() && cand.name == s.kept_states.front().name) h = &cand;
      body += state_cells(h->value, x + kCell + 2, s.k, H, lo, hi, "discarded");
    }
  }
  const int width = node_x(row.index.size()) + 4;
  const int height = kNodeTop + kNode + 10 + static_cast<int>(std::min(H, kUnits)) * kCell;
  return fmt::format("<div class=\"panel\"><div class=\"cap\">sequence b={}</div><svg class=\"timeline\" width=\"{}\" "
                     "height=\"{}\" viewBox=\"0 0 {} {}\" data-layer=\"{}\" data-run=\"{}\" data-b=\"{}\" "
                     "data-axes=\"k,f\" data-shape=\"{},{}\">{}</svg></div>",
                     b, width, height, width, height, escape(layer.name), run, b, T, H, body);
}

}  // namespace

std::string step_timeline(const LayerRecord& layer, const RecurrentSteps& r, const View& view, const char* run) {
  if (r.steps.empty() || r.steps.front().kept_states.empty())
    return "<p class=\"dim\">no steps recorded at --detail outputs: run with --detail steps or full for the timeline</p>";
  float lo = std::numeric_limits<float>::infinity(), hi = -lo;
  std::vector<Row> rows(view.sequences.size());
  for (std::size_t i = 0; i < r.steps.size(); ++i) {
    const StepRecord& s = r.steps[i];
    const auto at = std::find(view.sequences.begin(), view.sequences.end(), s.batch);
    if (at == view.sequences.end() || !view.draws_step(s.t)) continue;
    rows[static_cast<std::size_t>(at - view.sequences.begin())].index.push_back(i);
    for (const auto* list : {&s.kept_states, &s.candidate_states})
      if (!list->empty())
        for (float v : list->front().value.values)
          if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  }
  if (lo > hi) lo = hi = 0;
  std::string out;
  for (std::size_t i = 0; i < rows.size(); ++i)
    if (!rows[i].index.empty()) out += sequence_row(r, rows[i], view.sequences[i], lo, hi, run, layer);
  return fmt::format("<div class=\"panels timeline-row\">{}</div>", out);
}

}  // namespace maskviz::html
