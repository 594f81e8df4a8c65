// An attention layer's weights as grids, one per (sequence, head): rows are queries t, columns keys s.
// A cell the combined mask forbids (true = may attend) is hatched; a fully masked row is outlined, since
// what it becomes depends on the softmax path (uniform 1/S on the fused path, zeros on the explicit one).
// Both runs side by side, so the cells the padding mask closes can be compared with the unmasked run.
#include <fmt/format.h>

#include <fmt/ranges.h>

#include <algorithm>

#include "render/html_doc.h"
#include "render/html_parts.h"

namespace maskviz::html {

namespace {

constexpr int kAttentionCell = 18, kLabel = 22;
constexpr std::size_t kHeads = 4;  // heads drawn per sequence; the page stays small

bool may_attend(const AttentionRecord& a, std::size_t b, std::size_t t, std::size_t s) {
  return !a.combined_mask || (*a.combined_mask)[(b * a.query_steps + t) * a.key_steps + s] != 0;
}

// One [T, S] grid of weights for sequence b, head n.
std::string grid(const AttentionRecord& a, const std::string& layer, std::size_t b, std::size_t n, const char* run) {
  const std::size_t T = std::min(a.query_steps, View::kSteps), S = std::min(a.key_steps, View::kSteps);
  const int w = kLabel + static_cast<int>(S) * kAttentionCell, h = kLabel + static_cast<int>(T) * kAttentionCell;
  std::string cells;
  for (std::size_t t = 0; t < T; ++t) {
    bool row_open = false;
    for (std::size_t s = 0; s < S; ++s) {
      const float v = a.weights.values[((b * a.heads + n) * a.query_steps + t) * a.key_steps + s];
      const bool open = may_attend(a, b, t, s);
      row_open = row_open || open;
      const int x = kLabel + static_cast<int>(s) * kAttentionCell, y = kLabel + static_cast<int>(t) * kAttentionCell;
      const std::size_t i = ((b * a.heads + n) * a.query_steps + t) * a.key_steps + s;
      cells += fmt::format("<rect class=\"attn-cell{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" "
                           "data-i=\"{}\" data-v=\"{}\"/>",
                           open ? "" : " closed", x, y, kAttentionCell, kAttentionCell, value_colour(v, 0.0f, 1.0f), i, exact(v));
      if (!open)
        cells += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"url(#masked-hatch)\" "
                             "pointer-events=\"none\"/>", x, y, kAttentionCell, kAttentionCell);
    }
    if (!row_open)
      cells += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#d55e00\" "
                           "stroke-width=\"2\"><title>t={}: fully masked row</title></rect>",
                           kLabel, kLabel + static_cast<int>(t) * kAttentionCell, static_cast<int>(S) * kAttentionCell, kAttentionCell, t);
  }
  for (std::size_t t = 0; t < T; ++t)
    cells += fmt::format("<text x=\"2\" y=\"{}\" font-size=\"10\">t{}</text>", kLabel + static_cast<int>(t) * kAttentionCell + 13, t);
  for (std::size_t s = 0; s < S; ++s)
    cells += fmt::format("<text x=\"{}\" y=\"14\" font-size=\"10\">s{}</text>", kLabel + static_cast<int>(s) * kAttentionCell + 2, s);
  // data-i: the flat index into the exported weights [B, N, T, S], read by the hover and the browser check.
  return fmt::format("<div class=\"attn\"><div class=\"cap\">{} run · b={} · head {}</div><svg class=\"attention\" "
                     "data-fig=\"attention\" data-layer=\"{}\" data-run=\"{}\" data-axes=\"b,head,t,s\" "
                     "data-shape=\"{},{},{},{}\" width=\"{}\" height=\"{}\" role=\"img\">{}</svg></div>",
                     run, b, n, escape(layer), run, a.batch, a.heads, a.query_steps, a.key_steps, w, h, cells);
}

std::string run_grids(const AttentionRecord& a, const std::string& layer, const View& view, const char* run) {
  std::string out;
  for (std::size_t b = 0; b < a.batch; ++b) {
    if (!view.draws_sequence(b)) continue;
    for (std::size_t n = 0; n < std::min(a.heads, kHeads); ++n) out += grid(a, layer, b, n, run);
  }
  return out;
}

}  // namespace

std::string attention_figure(const AttentionRecord& masked, const LayerRecord& unmasked, const View& view) {
  const auto* au = unmasked.as<AttentionRecord>();
  if (masked.weights.values.empty())  // Detail::outputs keeps no map (multi_head_attention.cpp)
    return "<figure class=\"attention-fig\"><figcaption>attention weights: recorded at --detail steps or full; this "
           "page was drawn at detail outputs, which keeps no [T, S] map</figcaption></figure>";
  const std::string from = masked.combined_from.empty() ? "no mask"
                                                       : fmt::format("the AND of {}", fmt::join(masked.combined_from, ", "));
  return fmt::format("<figure class=\"attention-fig\"><figcaption>attention weights, one grid per head (queries down, "
                     "keys across): hatched cells may not be attended ({}); an outlined row is fully masked, so what "
                     "it holds depends on the softmax path, not on the data</figcaption><div class=\"run-masked\">{}"
                     "</div><div class=\"run-unmasked\">{}</div></figure>",
                     escape(from), run_grids(masked, unmasked.name, view, "masked"),
                     au != nullptr ? run_grids(*au, unmasked.name, view, "unmasked") : std::string());
}

}  // namespace maskviz::html
