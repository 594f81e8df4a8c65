#include "render/text_header.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/version.h"
#include "render/text_format.h"

namespace maskviz {

void print_header(Printer& p, const Scenario& scenario, Detail detail, std::string_view command) {
  const Style& s = p.style();
  const std::string name = scenario.name.empty() ? scenario.source : scenario.name;
  p.line(s.paint(fmt::format("maskviz {} {} {}", command, s.bullet(), s.text(name)), Tone::heading));
  if (!scenario.description.empty()) p.paragraph(scenario.description, "  ");
  p.paragraph(fmt::format("seed {}{}detail {}{}numbers to {} decimals{}Keras {} semantics, float32", scenario.seed,
                          s.sep(), detail_name(detail), s.sep(), p.precision(), s.sep(), kKerasVersion),
              "  ", Tone::dim);
  const TextOptions& o = p.options();
  std::vector<std::string> picked;
  if (o.batch) picked.push_back(fmt::format("sequence b={}", *o.batch));
  if (o.steps) picked.push_back(fmt::format("steps t={}{}{}", o.steps->first, s.text("–"), o.steps->second));
  if (o.layer) picked.push_back(fmt::format("layer {}", *o.layer));
  if (!picked.empty()) p.paragraph(fmt::format("showing only: {}", fmt::join(picked, ", ")), "  ", Tone::heading);
  p.line();
}

void print_input(Printer& p, const Scenario& scenario) {
  const Style& s = p.style();
  const Tensor& x = scenario.input;
  const std::size_t B = x.dim(0), T = x.dim(1);
  // A summary shows a corner of a large input, not all of it.
  constexpr std::size_t kSummaryBatch = 4, kSummarySteps = 16;
  const bool summary = p.options().summary;
  auto shows_batch = [&](std::size_t b) { return p.shows_batch(b) && (!summary || b < kSummaryBatch); };
  auto shows_step = [&](std::size_t t) { return p.shows_step(t) && (!summary || t < kSummarySteps); };
  if (scenario.tokens) {
    p.heading(fmt::format("input {} tokens [B={}, T={}]", s.bullet(), B, T));
    p.paragraph("one row per sequence b of the batch, one column per time step t", "  ", Tone::dim);
    std::size_t shown_steps = 0;
    for (std::size_t t = 0; t < T; ++t) shown_steps += shows_step(t) ? 1 : 0;
    Grid grid(shown_steps);
    std::size_t c = 0;
    for (std::size_t t = 0; t < T; ++t)
      if (shows_step(t)) grid.set_header(c++, fmt::format("t={}", t));
    for (std::size_t b = 0; b < B; ++b) {
      if (!shows_batch(b)) continue;
      std::vector<Cell> cells;
      for (std::size_t t = 0; t < T; ++t)
        if (shows_step(t)) {
          const float token = x.values[b * T + t];
          cells.push_back({whole_or_number(token, 0), token == 0.0f ? Tone::masked : Tone::plain});
        }
      grid.add_row({{fmt::format("b={}", b), Tone::plain}}, std::move(cells));
    }
    grid.set_gap(2);
    p.grid(grid, 2);
  } else {
    const std::size_t F = x.dim(2);
    p.heading(fmt::format("input {} values [B={}, T={}, F={}]", s.bullet(), B, T, F));
    p.paragraph("one row per sequence b and time step t, one column per feature f", "  ", Tone::dim);
    Grid grid(F);
    for (std::size_t f = 0; f < F; ++f) grid.set_header(f, fmt::format("f={}", f));
    for (std::size_t b = 0; b < B; ++b) {
      if (!shows_batch(b)) continue;
      for (std::size_t t = 0; t < T; ++t) {
        if (!shows_step(t)) continue;
        std::vector<Cell> cells;
        for (std::size_t f = 0; f < F; ++f) cells.push_back({number(x.values[(b * T + t) * F + f], p.precision())});
        grid.add_row({{fmt::format("b={} t={}", b, t), Tone::plain}}, std::move(cells));
      }
    }
    p.grid(grid, 2);
  }
  if (summary && (B > kSummaryBatch || T > kSummarySteps))
    p.paragraph(fmt::format("showing the first {} sequences and {} steps of {} {} {}", std::min(B, kSummaryBatch),
                            std::min(T, kSummarySteps), B, s.ascii() ? "x" : "×", T),
                "  ", Tone::dim);
  p.line();
}

void print_summary_hint(Printer& p, const Scenario& scenario) {
  const std::size_t B = scenario.input.dim(0), T = scenario.input.dim(1);
  const std::string layer = scenario.layers.empty() ? "NAME" : scenario.layers.back()->name();
  p.paragraph(fmt::format("This scenario is large ({} sequences {} {} steps), so each layer is summarised. To see every "
                          "number of a part of it: --batch 0 --steps 0:{} (one sequence, a few steps), or --layer {} "
                          "(one layer).",
                          B, p.style().ascii() ? "x" : "×", T, std::min<std::size_t>(T, 8) - 1, layer),
              "", Tone::heading);
  p.line();
}

}  // namespace maskviz
