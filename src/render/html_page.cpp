// `maskviz html`: the page around the figures. Its head (what scenario, what was drawn of it), the input,
// the model strip with the mask's path and story, one section per layer, the loss. Written into one
// string and handed over whole, so a failure never leaves half a page.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "analysis/loss_explanation.h"
#include "render/html.h"
#include "render/html_doc.h"
#include "render/html_heatmap.h"
#include "render/html_parts.h"
#include "render/html_style.h"
#include "render/text_format.h"

#ifndef MASKVIZ_VERSION
#define MASKVIZ_VERSION "dev"
#endif

namespace maskviz {

namespace {

// No request can leave the page: the policy forbids every source but the page's own inline style and script.
constexpr const char* kPolicy = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'";

std::string head(const Scenario& s, const Trace& trace, const html::View& view) {
  const std::string name = s.name.empty() ? s.source : s.name;
  std::string picked;
  if (view.selection.layer) picked = fmt::format(" · showing only layer {}", view.selection.layer->c_str());
  std::size_t widest = s.input.rank() == 3 ? s.input.dim(2) : 0;
  for (const auto& layer : trace.masked.layers) widest = std::max(widest, layer.output.row_length());
  if (widest > html::View::kFeatures)
    picked += fmt::format(" · in each figure the first {} features of up to {}", html::View::kFeatures, widest);
  std::string drawn = fmt::format("drawn: {}{}", view.drawn_words(), picked);
  if (!view.everything)
    drawn += "; to see another part: maskviz html SCENARIO --batch I --steps A:B";
  return fmt::format("<header><h1>maskviz · {}</h1><p>{}</p><p class=\"meta\">seed {} · detail {} · Keras 3.15.1 "
                     "semantics, float32 · maskviz {}</p><p class=\"meta\" id=\"drawn\">{}</p><div id=\"switch\" "
                     "hidden>show: <button data-show=\"both\">both runs</button><button data-show=\"masked\">masked "
                     "run</button><button data-show=\"unmasked\">unmasked run</button></div></header>\n",
                     html::escape(name), html::escape(s.description), s.seed, detail_name(trace.detail), MASKVIZ_VERSION,
                     html::escape(drawn));
}

// The first mask the model makes: what the input figure hatches.
const Mask* first_mask(const RunRecord& run) {
  for (const auto& layer : run.layers)
    if (layer.mask_action == MaskAction::created && layer.output_mask) return &*layer.output_mask;
  return nullptr;
}

std::string input_section(const Scenario& s, const Trace& trace, const html::View& view) {
  const Mask* mask = first_mask(trace.masked);
  const std::size_t B = s.input.dim(0), T = s.input.dim(1);
  const std::string what = s.tokens ? fmt::format("input · tokens [B={}, T={}]", B, T)
                                    : fmt::format("input · values [B={}, T={}, F={}]", B, T, s.input.dim(2));
  return fmt::format("<section class=\"input\"><h2>{}</h2><figure><figcaption>{}</figcaption>{}</figure></section>\n",
                     html::escape(what),
                     mask != nullptr ? "the steps the mask marks as padding are hatched (masked in the masked run)"
                                     : "no layer makes a mask",
                     html::input_figure(s.input, s.tokens, mask, view));
}

std::string loss_section(const Trace& trace, const html::View& view) {
  const LossRecord& m = *trace.masked.loss;
  const LossRecord& u = *trace.unmasked.loss;
  float top = 0;
  for (const auto* loss : {&m, &u})
    for (float L : loss->terms)
      if (std::isfinite(L)) top = std::max(top, L);
  std::string runs;
  for (const auto* loss : {&m, &u}) {
    const bool masked = loss == &m;
    const LossExplanation e = explain_loss(*loss);
    runs += fmt::format("<div class=\"run-{}\"><div class=\"cap\">{} run · loss = {} · {}</div>{}</div>",
                        masked ? "masked" : "unmasked", masked ? "masked" : "unmasked",
                        html::escape(scalar(loss->value, 4)),
                        html::escape(loss_weight_words(e, whole_or_number(e.valid_weight, 4))),
                        html::loss_bars(*loss, view, top, masked ? "masked" : "unmasked"));
  }
  std::string warnings;
  for (const auto& w : m.warnings) warnings += fmt::format("<p class=\"warn\">warning: {}</p>", html::escape(w));
  return fmt::format("<section class=\"loss-section\"><h2>loss · {} · reduction {}</h2>{}<figure><figcaption>the loss "
                     "terms L, each bar with its weight w under it: masked terms are still computed, hatched at "
                     "weight 0</figcaption><div class=\"panels\">{}</div></figure></section>\n",
                     html::escape(m.name), html::escape(m.reduction), warnings, runs);
}

}  // namespace

void write_html_page(const Trace& trace, const HtmlOptions& options, std::ostream& out) {
  const Scenario& s = *trace.scenario;
  const html::View view = html::View::of(trace, options.selection);
  const RunComparison whole = compare_runs(trace);
  std::string page;
  page.reserve(1 << 20);
  page += fmt::format("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                      "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">"
                      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                      "<title>maskviz · {}</title><style>{}</style></head>\n<body data-show=\"both\">\n",
                      kPolicy, html::escape(s.name.empty() ? s.source : s.name), html::kStyle);
  page += html::shared_svg_defs();
  page += head(s, trace, view);
  page += input_section(s, trace, view);
  page += fmt::format("<section class=\"model\"><h2>model · mask path</h2>{}</section>\n", html::model_strip(trace, whole));
  for (std::size_t i = 0; i < whole.layers.size(); ++i)
    if (view.draws_layer(whole.layers[i].masked->name))
      page += html::layer_section(whole.layers[i], i, whole.layers.size(), view);
  if (trace.masked.loss && trace.unmasked.loss && !options.selection.layer) page += loss_section(trace, view);
  page += html::gradient_section(trace, view, options.no_gradients);
  page += fmt::format("<div id=\"tip\" hidden></div>\n<script>{}</script>\n</body></html>\n", html::kScript);
  out.write(page.data(), static_cast<std::streamsize>(page.size()));
}

}  // namespace maskviz
