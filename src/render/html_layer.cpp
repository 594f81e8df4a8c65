// One layer's section: what it does with the mask (the text's words), whether the runs part here, its
// output as heatmaps of both runs and their difference, then what its kind adds. The kinds are
// std::visit()ed in kind_figures: a new payload kind fails to compile until the page draws it.
#include <fmt/format.h>

#include <cmath>

#include "analysis/mask_words.h"
#include "core/overloaded.h"
#include "render/html_doc.h"
#include "render/html_heatmap.h"
#include "render/html_parts.h"
#include "render/text_format.h"

namespace maskviz::html {

namespace {

// Where the runs part in this layer, as diff says it.
std::string verdict(const LayerComparison& c) {
  if (c.identical()) return "<p class=\"same\">output: identical in both runs</p>";
  std::string where;
  for (std::size_t b = 0; b < c.first_step.size(); ++b)
    if (c.first_step[b] != kNoStep) where += fmt::format("{}b={}: the runs part at t={}", where.empty() ? "" : "; ", b, c.first_step[b]);
  return fmt::format("<p class=\"differs\">output differs: {} values, largest |Δ| = {}{}</p>", c.output.differing,
                     escape(scalar(c.output.max_abs, 4)), where.empty() ? "" : escape(" · " + where));
}

std::string timeline_figure(const LayerRecord& m, const RecurrentSteps& rm, const LayerRecord* u, const View& view) {
  const std::string title = fmt::format("steps: at a masked step {}; {}", kMaskedStepRuns, masked_step_kept_words(rm));
  std::string unmasked;
  if (u != nullptr)
    if (const auto* ru = u->as<RecurrentSteps>())
      unmasked = fmt::format("<div class=\"run-unmasked\"><div class=\"cap\">unmasked run: every step computed</div>{}</div>",
                             step_timeline(*u, *ru, view, "unmasked"));
  return fmt::format("<figure class=\"timeline-fig\"><figcaption>{}{}. Under each step: the kept {} (one cell per "
                     "unit{}); beside a masked step, faded: what the cell computed and discarded. Orange arcs: "
                     "carried over from the step that computed it, {}; from the left edge: still the initial state.</figcaption><div class=\"run-masked\"><div "
                     "class=\"cap\">masked run</div>{}</div>{}</figure>",
                     escape(title), rm.go_backwards ? " (in processing order: go_backwards walks from the last step)" : "",
                     escape(rm.state_names.size() > 1 ? fmt::format("{} and {}", rm.state_names[0], rm.state_names[1])
                                                      : rm.state_names.empty() ? "h" : rm.state_names.front()),
                     rm.state_names.size() > 1 ? fmt::format(", {} below {}", rm.state_names[1], rm.state_names[0]) : "",
                     rm.state_names.size() > 1 ? fmt::format("{} and {} alike", rm.state_names[0], rm.state_names[1])
                                               : std::string("the state unchanged"),
                     step_timeline(m, rm, view, "masked"),
                     unmasked);
}

std::string half_section(const LayerRecord& m, const LayerRecord& u, const View& view, const char* which);

// What the payload adds beyond the output heatmaps.
std::string kind_figures(const LayerComparison& c, const View& view) {
  const LayerRecord& u = *c.unmasked;
  return std::visit(
      Overloaded{
          [&](const OutputOnly&) { return std::string(); },
          [&](const Lookups&) { return std::string(); },
          [&](const RecurrentSteps& r) { return timeline_figure(*c.masked, r, &u, view); },
          [&](const Rows&) { return std::string(); },
          [&](const Reductions& r) { return reduction_figure(*c.masked, r, u, view); },
          [&](const AttentionRecord& a) { return attention_figure(a, u, view); },
          [&](const Merge&) { return std::string(); },  // the strip shows how the masks were merged
          [&](const Halves& h) {
            const Halves* hu = u.as<Halves>();
            std::string out;
            for (std::size_t i = 0; i < h.halves.size(); ++i)
              if (hu != nullptr && i < hu->halves.size())
                out += half_section(h.halves[i], hu->halves[i], view, i == 0 ? "forward" : "backward");
            return out;
          },
      },
      c.masked->payload);
}

std::string output_figure(const LayerComparison& c, const View& view) {
  return fmt::format("<figure class=\"output\"><figcaption>output {} · what the layer returns, masked run beside the "
                     "unmasked run; the third panel is where they part</figcaption>{}</figure>",
                     escape(shape_text(c.masked->output.shape)), output_heatmaps(c, view));
}

// A Bidirectional half, drawn as a layer of its own (its own comparison of the two runs' halves).
std::string half_section(const LayerRecord& m, const LayerRecord& u, const View& view, const char* which) {
  LayerComparison c;
  c.masked = &m;
  c.unmasked = &u;
  return fmt::format("<section class=\"half\"><h3>{} · {} ({} half)</h3><p class=\"mask\">mask: {}</p>{}{}</section>",
                     escape(m.name), escape(m.type), which, escape(mask_action_words(m)), output_figure(c, view),
                     kind_figures(c, view));
}

}  // namespace

std::string layer_section(const LayerComparison& c, std::size_t index, std::size_t count, const View& view) {
  const LayerRecord& m = *c.masked;
  std::string warnings, notes;
  for (const auto& w : m.warnings) warnings += fmt::format("<p class=\"warn\">warning: {}</p>", escape(w));
  for (const auto& n : m.notes) notes += fmt::format("<p class=\"note\">note: {}</p>", escape(n));
  return fmt::format("<section class=\"layer\" id=\"layer-{}\" data-layer=\"{}\"><h2>{}/{} {} · {}</h2>"
                     "<p class=\"shapes\">input {} → output {}</p><p class=\"mask{}\">mask: {}</p>{}{}{}{}{}</section>\n",
                     index + 1, escape(m.name), index + 1, count, escape(m.name), escape(m.type),
                     escape(shape_text(m.input_shape)), escape(shape_text(m.output_shape)),
                     m.mask_action == MaskAction::dropped ? " warn" : "", escape(mask_action_words(m)), warnings,
                     verdict(c), output_figure(c, view), kind_figures(c, view), notes);
}

}  // namespace maskviz::html
