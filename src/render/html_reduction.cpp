// Global pooling over time: which steps entered each sequence's reduction, in both runs. A counted step
// is a filled cell, a step left out is hatched; beside each row, what the reduction divided by (average)
// or where each feature's maximum came from (max), as the record holds it.
#include <fmt/format.h>

#include "render/html_doc.h"
#include "render/html_parts.h"
#include "render/text_format.h"

namespace maskviz::html {

namespace {

constexpr int kReductionCell = 20, kReductionLeft = 40, kReductionTop = 16;

std::string beside(const Reductions& r, const ReductionRecord& rec) {
  if (r.kind == Reductions::Kind::average)
    return rec.non_finite ? fmt::format("sum ÷ {} = NaN (no step counted: 0/0)", whole_or_number(rec.divisor, 2))
                          : fmt::format("sum of the counted rows ÷ {}", whole_or_number(rec.divisor, 2));
  std::string won;
  for (std::size_t f = 0; f < rec.argmax.size() && f < View::kFeatures; ++f)
    won += fmt::format("{}t={}{}", f == 0 ? "" : " ", rec.argmax[f], rec.argmax_masked[f] ? " (padding)" : "");
  return "max per feature from " + won;
}

std::string run_svg(const LayerRecord& layer, const Reductions& r, const View& view, const char* run) {
  std::string body;
  int row = 0;
  for (const ReductionRecord& rec : r.reductions) {
    if (!view.draws_sequence(rec.batch)) continue;
    const int y = kReductionTop + row * (kReductionCell + 4);
    body += fmt::format("<text x=\"{}\" y=\"{}\" class=\"ax\" text-anchor=\"end\">b={}</text>", kReductionLeft - 4, y + 14, rec.batch);
    int c = 0;
    for (std::size_t t : view.steps) {
      if (t >= rec.counted.size()) continue;
      const bool counted = rec.counted[t] != 0;
      body += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" class=\"{}\" data-b=\"{}\" data-t=\"{}\"{}/>",
                          kReductionLeft + c * kReductionCell, y, kReductionCell - 2, kReductionCell, counted ? "counted" : "left-out", rec.batch, t,
                          counted ? "" : " fill=\"url(#masked-hatch)\"");
      if (row == 0)
        body += fmt::format("<text x=\"{}\" y=\"11\" class=\"ax\" text-anchor=\"middle\">{}</text>",
                            kReductionLeft + c * kReductionCell + kReductionCell / 2 - 1, t);
      ++c;
    }
    body += fmt::format("<text x=\"{}\" y=\"{}\" class=\"ax\">{}</text>", kReductionLeft + c * kReductionCell + 8, y + 14, escape(beside(r, rec)));
    ++row;
  }
  const int width = kReductionLeft + static_cast<int>(view.steps.size()) * kReductionCell + 420, height = kReductionTop + row * (kReductionCell + 4);
  return fmt::format("<svg class=\"reduction\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" data-layer=\"{}\" "
                     "data-run=\"{}\"><text x=\"{}\" y=\"11\" class=\"ax\" text-anchor=\"end\">t →</text>{}</svg>",
                     width, height, width, height, escape(layer.name), run, kReductionLeft - 4, body);
}

}  // namespace

std::string reduction_figure(const LayerRecord& m, const Reductions& rm, const LayerRecord& u, const View& view) {
  if (rm.reductions.empty()) return "";
  const auto* ru = u.as<Reductions>();
  const std::string reads = m.mask_use.reads.empty() ? "" : fmt::format(" ({})", m.mask_use.reads);
  return fmt::format("<figure class=\"reduction-fig\"><figcaption>which steps the {} counts{}: filled cells counted, "
                     "hatched ones left out</figcaption><div class=\"run-masked\"><div class=\"cap\">masked run</div>{}"
                     "</div><div class=\"run-unmasked\"><div class=\"cap\">unmasked run</div>{}</div></figure>",
                     rm.kind == Reductions::Kind::average ? "mean" : "maximum", escape(reads),
                     run_svg(m, rm, view, "masked"), ru != nullptr ? run_svg(u, *ru, view, "unmasked") : std::string());
}

}  // namespace maskviz::html
