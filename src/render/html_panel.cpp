#include "render/html_panel.h"

#include <fmt/format.h>

#include "render/html_doc.h"

namespace maskviz::html {

namespace {

constexpr int kLeft = 34, kTop = 16;

// Cells as large as a short axis allows, so a 4-step example is not a smudge and 32 steps still fit.
int cell_size(const Panel& p) {
  const std::size_t cols = p.col_labels.size();
  return cols <= 12 ? 20 : cols <= 24 ? 15 : 12;
}

std::string labels(const Panel& p) {
  const int kCell = cell_size(p);
  std::string out;
  if (!p.corner.empty())
    out += fmt::format("<text x=\"{}\" y=\"11\" class=\"ax\" text-anchor=\"end\">{} →</text>", kLeft - 3, escape(p.corner));
  const std::size_t every = p.col_labels.size() > 24 ? 4 : 1;  // long axes: every fourth label
  for (std::size_t c = 0; c < p.col_labels.size(); c += every)
    out += fmt::format("<text x=\"{}\" y=\"11\" class=\"ax\" text-anchor=\"middle\">{}</text>",
                       kLeft + static_cast<int>(c) * kCell + kCell / 2, escape(p.col_labels[c]));
  for (std::size_t r = 0; r < p.row_labels.size(); ++r)
    out += fmt::format("<text x=\"{}\" y=\"{}\" class=\"ax\" text-anchor=\"end\">{}</text>", kLeft - 3,
                       kTop + static_cast<int>(r) * kCell + kCell - 3, escape(p.row_labels[r]));
  return out;
}

std::string cells(const Panel& p) {
  const int kCell = cell_size(p);
  std::string out;
  for (std::size_t r = 0; r < p.row_labels.size(); ++r)
    for (std::size_t c = 0; c < p.col_labels.size(); ++c) {
      const PanelCell cell = p.cell(r, c);
      const std::string what = p.what ? fmt::format(" data-what=\"{}\"", escape(p.what(r, c))) : std::string();
      out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" data-i=\"{}\" data-v=\"{}\"{}/>",
                         kLeft + static_cast<int>(c) * kCell, kTop + static_cast<int>(r) * kCell, kCell, kCell,
                         cell.colour, cell.index, exact(cell.value), what);
    }
  return out;
}

// Masked steps: hatching over the whole column (pointer-events off, so the cells below still answer a
// hover). Padding the masked run masks but this run does not: a dashed outline, to compare at a glance.
std::string marks(const Panel& p) {
  const int kCell = cell_size(p);
  std::string out;
  const int height = static_cast<int>(p.row_labels.size()) * kCell;
  for (std::size_t c = 0; c < p.col_labels.size(); ++c) {
    const int x = kLeft + static_cast<int>(c) * kCell;
    if (c < p.hatched.size() && p.hatched[c])
      out += fmt::format("<rect class=\"masked-step\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" "
                         "fill=\"url(#masked-hatch)\" data-b=\"{}\" data-t=\"{}\"/>",
                         x, kTop, kCell, height, p.col_b[c], p.col_t[c]);
    else if (c < p.padding.size() && p.padding[c])
      out += fmt::format("<rect class=\"padding-step\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\"/>",
                         x + 1, kTop + 1, kCell - 2, height - 2);
  }
  return out;
}

}  // namespace

std::string panel_svg(const Panel& p) {
  const int kCell = cell_size(p);
  const int width = kLeft + static_cast<int>(p.col_labels.size()) * kCell + 2;
  const int height = kTop + static_cast<int>(p.row_labels.size()) * kCell + 2;
  return fmt::format("<div class=\"panel\"><div class=\"cap\">{}</div><svg class=\"hm\" width=\"{}\" height=\"{}\" "
                     "viewBox=\"0 0 {} {}\" {}>{}{}{}</svg></div>",
                     escape(p.caption), width, height, width, height, p.attributes, labels(p), cells(p), marks(p));
}

std::string value_legend(float lo, float hi, bool with_hatch) {
  std::string stops;
  for (int i = 0; i <= 8; ++i)
    stops += fmt::format("<rect x=\"{}\" y=\"2\" width=\"12\" height=\"10\" fill=\"{}\"/>", 40 + i * 12,
                         value_colour(lo + (hi - lo) * static_cast<float>(i) / 8.0f, lo, hi));
  std::string hatch;
  if (with_hatch)
    hatch = "<rect x=\"250\" y=\"2\" width=\"12\" height=\"10\" fill=\"url(#masked-hatch)\" stroke=\"#000\" "
            "stroke-width=\"0.5\"/><text x=\"266\" y=\"11\" class=\"ax\">masked step</text>"
            "<rect x=\"340\" y=\"3\" width=\"10\" height=\"8\" class=\"padding-step\" fill=\"none\"/>"
            "<text x=\"354\" y=\"11\" class=\"ax\">padding, not masked in this run</text>";
  return fmt::format("<svg class=\"legend\" width=\"520\" height=\"14\"><text x=\"36\" y=\"11\" class=\"ax\" "
                     "text-anchor=\"end\">{}</text>{}<text x=\"152\" y=\"11\" class=\"ax\">{}</text>{}</svg>",
                     escape(short_number(lo)), stops, escape(short_number(hi)), hatch);
}

std::string gap_legend(float max_gap) {
  std::string stops;
  for (int i = 0; i <= 8; ++i)
    stops += fmt::format("<rect x=\"{}\" y=\"2\" width=\"12\" height=\"10\" fill=\"{}\" stroke=\"#ccc\" "
                         "stroke-width=\"0.5\"/>",
                         40 + i * 12, gap_colour(max_gap * static_cast<float>(i) / 8.0f, max_gap));
  return fmt::format("<svg class=\"legend\" width=\"300\" height=\"14\"><text x=\"36\" y=\"11\" class=\"ax\" "
                     "text-anchor=\"end\">0</text>{}<text x=\"152\" y=\"11\" class=\"ax\">|Δ| {}</text></svg>",
                     stops, escape(exact(max_gap)));
}

std::string signed_legend(float max_abs, bool with_hatch) {
  std::string stops;
  for (int i = 0; i <= 8; ++i)
    stops += fmt::format("<rect x=\"{}\" y=\"2\" width=\"12\" height=\"10\" fill=\"{}\" stroke=\"#ccc\" "
                         "stroke-width=\"0.5\"/>",
                         60 + i * 12, signed_colour(max_abs * static_cast<float>(i - 4) / 4.0f, max_abs));
  std::string hatch;
  if (with_hatch)
    hatch = "<rect x=\"320\" y=\"2\" width=\"12\" height=\"10\" fill=\"url(#masked-hatch)\" stroke=\"#000\" "
            "stroke-width=\"0.5\"/><text x=\"336\" y=\"11\" class=\"ax\">masked step</text>";
  return fmt::format("<svg class=\"legend\" width=\"420\" height=\"14\"><text x=\"56\" y=\"11\" class=\"ax\" "
                     "text-anchor=\"end\">-{}</text>{}<text x=\"172\" y=\"11\" class=\"ax\">+{} · white: exactly 0"
                     "</text>{}</svg>",
                     escape(fmt::format("{:.2g}", max_abs)), stops, escape(fmt::format("{:.2g}", max_abs)), hatch);
}

}  // namespace maskviz::html
