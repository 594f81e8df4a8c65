// A recurrent layer's steps, one row of nodes per sequence in processing order. Under each node the
// states it keeps (h, and for an LSTM the cell state c below it), one cell per unit. A computed step is reached by a grey arrow from
// the step before; a masked step by an orange arc from the step whose state it carries over (the last
// step that computed one), and the candidate its cell computed and discarded is drawn beside it, faded.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string_view>

#include "analysis/mask_words.h"
#include "render/html_doc.h"
#include "render/html_parts.h"

namespace maskviz::html {

namespace {

constexpr int kTimelineStep = 50, kTimelineLeft = 44, kNodeTop = 40, kNode = 24, kTimelineCell = 11, kTimelineGap = 14;
constexpr std::size_t kUnits = 8;

int node_x(std::size_t column) { return kTimelineLeft + static_cast<int>(column) * kTimelineStep; }

// One state's cells under (or beside) a node: `slot` 0 is h, 1 is c (LSTM), drawn one block lower.
// data-i: (step · states + slot) · H + f, the step's index in the record (what the browser check reads back).
std::string state_cells(const NamedTensor& state, int x, std::size_t slot, std::size_t index, std::size_t states,
                        std::size_t t, std::size_t H, float lo, float hi, const char* cls) {
  std::string out;
  const std::size_t shown = std::min(H, kUnits);
  const int top = kNodeTop + kNode + 6 + static_cast<int>(slot * (shown * kTimelineCell + kTimelineGap));
  for (std::size_t f = 0; f < shown && f < state.value.size(); ++f)
    out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" class=\"{}\" data-i=\"{}\" "
                       "data-v=\"{}\" data-what=\"t={} {}{} f={}\"/>",
                       x, top + static_cast<int>(f) * kTimelineCell, kTimelineCell, kTimelineCell, value_colour(state.value.values[f], lo, hi),
                       cls, (index * states + slot) * H + f, exact(state.value.values[f]), t, escape(state.name),
                       std::string_view(cls) == "discarded" ? " computed, discarded" : "", f);
  return out;
}

struct Row {
  std::vector<std::size_t> index;  // into steps, in processing order, drawn ones only
};

// One sequence: nodes, arrows, the kept state and, at masked steps, the discarded candidate.
std::string sequence_row(const RecurrentSteps& r, const Row& row, std::size_t b, float lo, float hi, const char* run,
                         const LayerRecord& layer) {
  const std::size_t H = r.units;
  std::string body;
  std::size_t origin_col = std::numeric_limits<std::size_t>::max();  // last computed step drawn
  for (std::size_t c = 0; c < row.index.size(); ++c) {
    const StepRecord& s = r.steps[row.index[c]];
    const int x = node_x(c);
    body += fmt::format("<g class=\"node{}{}\" data-b=\"{}\" data-t=\"{}\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" "
                        "rx=\"4\"{}/><text x=\"{}\" y=\"{}\" class=\"ax\" text-anchor=\"middle\">t={}</text></g>",
                        s.masked ? " masked" : "", s.carried_over ? " carried-over" : "", b, s.t, x, kNodeTop, kNode, kNode,
                        s.masked ? " fill=\"url(#masked-hatch)\"" : "", x + kNode / 2, 10, s.t);
    if (c > 0 && !s.carried_over)
      body += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" class=\"flow\" marker-end=\"url(#arrow)\"/>",
                          node_x(c - 1) + kNode, kNodeTop + kNode / 2, x - 1, kNodeTop + kNode / 2);
    if (s.carried_over) {
      const int from = origin_col == std::numeric_limits<std::size_t>::max() ? kTimelineLeft - 20 : node_x(origin_col) + kNode / 2;
      body += fmt::format("<path class=\"carried\" d=\"M{},{} Q{},{} {},{}\" marker-end=\"url(#arrow-carried)\">"
                          "<title>kept state, unchanged: {}</title></path>",
                          from, kNodeTop - 1, (from + x + kNode / 2) / 2, kNodeTop - 24, x + kNode / 2, kNodeTop - 1,
                          escape(carried_from_words(r.steps, row.index[c], true)));
    } else {
      origin_col = c;
    }
    // The kept states (h, and c beside it for an LSTM), then at a masked step what the cell computed and
    // discarded, faded beside each.
    const std::size_t S = std::min<std::size_t>(r.state_names.empty() ? 1 : r.state_names.size(), 2);
    for (std::size_t slot = 0; slot < S && slot < s.kept_states.size(); ++slot) {
      body += state_cells(s.kept_states[slot], x, slot, row.index[c], S, s.t, H, lo, hi, "kept");
      if (!s.masked) continue;
      for (const auto& cand : s.candidate_states)
        if (cand.name == s.kept_states[slot].name)
          body += state_cells(cand, x + kTimelineCell + 2, slot, row.index[c], S, s.t, H, lo, hi, "discarded");
    }
  }
  const std::size_t S = std::min<std::size_t>(r.state_names.empty() ? 1 : r.state_names.size(), 2);
  const int block = static_cast<int>(std::min(H, kUnits)) * kTimelineCell + kTimelineGap;
  for (std::size_t slot = 0; slot < S && slot < r.state_names.size(); ++slot)
    body += fmt::format("<text x=\"{}\" y=\"{}\" class=\"ax\" text-anchor=\"end\">{}</text>", kTimelineLeft - 4,
                        kNodeTop + kNode + 16 + static_cast<int>(slot) * block, escape(r.state_names[slot]));
  const int width = node_x(row.index.size()) + 4;
  const int height = kNodeTop + kNode + 10 + static_cast<int>(S) * block - kTimelineGap;
  return fmt::format("<div class=\"panel\"><div class=\"cap\">sequence b={}</div><svg class=\"timeline\" width=\"{}\" "
                     "height=\"{}\" viewBox=\"0 0 {} {}\" data-layer=\"{}\" data-run=\"{}\" data-b=\"{}\" "
                     "data-fig=\"timeline\" data-states=\"{}\">{}</svg></div>",
                     b, width, height, width, height, escape(layer.name), run, b, S, body);
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
      for (std::size_t slot = 0; slot < list->size() && slot < 2; ++slot)
        for (float v : (*list)[slot].value.values)
          if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  }
  if (lo > hi) lo = hi = 0;
  std::string out;
  for (std::size_t i = 0; i < rows.size(); ++i)
    if (!rows[i].index.empty()) out += sequence_row(r, rows[i], view.sequences[i], lo, hi, run, layer);
  return fmt::format("<div class=\"panels timeline-row\">{}</div>", out);
}

}  // namespace maskviz::html
