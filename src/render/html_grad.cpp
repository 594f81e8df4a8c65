// The gradients on the page, from the gradient record of both runs (the same weights): per layer, from the
// loss back to the input, what the loss asks of its output (dloss/doutput, masked steps hatched: exactly
// 0 in the masked run), a recurrent layer's per-step terms of its weight gradients, an Embedding's
// gradient row by row (the padding row), and what one optimizer step did to each weight. Signed values
// on one diverging scale per figure, white exactly at 0. The sentences come from analysis/grad_words.h,
// as grad's text says them.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "analysis/grad_words.h"
#include "grad/grad_record.h"
#include "render/html_doc.h"
#include "render/html_panel.h"
#include "render/html_parts.h"
#include "render/text_format.h"

namespace maskviz::html {

namespace {

constexpr std::size_t kRows = 16;  // rows of a weight drawn (vocabulary rows, kernel rows)

void see(float& top, float v) {
  if (std::isfinite(v)) top = std::max(top, std::fabs(v));
}

std::string shape_attr(const Shape& shape) { return fmt::format("{}", fmt::join(shape, ",")); }

std::string attrs(const char* fig, const std::string& layer, const char* run, const std::string& axes,
                  const std::string& shape) {
  return fmt::format("data-fig=\"{}\" data-layer=\"{}\" data-run=\"{}\" data-axes=\"{}\" data-shape=\"{}\"", fig,
                     escape(layer), run, axes, shape);
}

bool masked_at(const OptMask& mask, std::size_t b, std::size_t t) {
  return mask && b < mask->batch && t < mask->time && !mask->at(b, t);
}

// dloss/doutput of both runs: per drawn sequence features down and time across ([B, T, F]), or
// sequences down ([B, F]); the masked run's masked steps hatched, the same steps dashed in the unmasked run.
std::string output_gradient_figure(const LayerGradient& gm, const LayerGradient& gu, const View& view) {
  const Tensor& m = gm.output_gradient;
  const Tensor& u = gu.output_gradient;
  if (m.shape != u.shape || (m.rank() != 3 && m.rank() != 2)) return "";
  const bool timed = m.rank() == 3;
  const std::size_t B = m.dim(0), T = timed ? m.dim(1) : 1, F = m.row_length(), Fd = View::features(F);
  std::vector<std::size_t> ts;
  for (std::size_t t = 0; t < T && timed; ++t)
    if (T != view.T ? ts.size() < View::kSteps : view.draws_step(t)) ts.push_back(t);
  std::vector<std::size_t> bs;
  for (std::size_t b : view.sequences)
    if (b < B) bs.push_back(b);
  float top = 0;
  for (std::size_t b : bs)
    for (std::size_t k = 0; k < (timed ? ts.size() : 1); ++k)
      for (std::size_t f = 0; f < Fd; ++f) {
        const std::size_t i = ((b * T) + (timed ? ts[k] : 0)) * F + f;
        see(top, m.values[i]);
        see(top, u.values[i]);
      }
  auto panel = [&](const Tensor& d, const char* run, std::size_t b) {
    Panel p;
    p.caption = fmt::format("{} run", run);
    p.attributes = attrs("output-gradient", gm.name, run, timed ? "b,t,f" : "b,f", shape_attr(d.shape));
    if (timed) {
      p.corner = "t";
      for (std::size_t f = 0; f < Fd; ++f) p.row_labels.push_back(fmt::format("f={}", f));
      for (std::size_t t : ts) {
        p.col_labels.push_back(fmt::format("{}", t));
        p.col_b.push_back(static_cast<long long>(b));
        p.col_t.push_back(static_cast<long long>(t));
        const bool masked = masked_at(gm.output_mask, b, t);
        (&d == &m ? p.hatched : p.padding).push_back(masked ? 1 : 0);
      }
      p.cell = [&d, &ts, b, T, F, top](std::size_t f, std::size_t c) {
        const std::size_t i = (b * T + ts[c]) * F + f;
        return PanelCell{d.values[i], i, signed_colour(d.values[i], top)};
      };
    } else {
      p.corner = "f";
      for (std::size_t bb : bs) p.row_labels.push_back(fmt::format("b={}", bb));
      for (std::size_t f = 0; f < Fd; ++f)
        p.col_labels.push_back(fmt::format("{}", f)), p.col_b.push_back(-1), p.col_t.push_back(-1);
      p.cell = [&d, &bs, F, top](std::size_t r, std::size_t f) {
        const std::size_t i = bs[r] * F + f;
        return PanelCell{d.values[i], i, signed_colour(d.values[i], top)};
      };
    }
    return panel_svg(p);
  };
  std::string body;
  for (std::size_t b : timed ? bs : std::vector<std::size_t>{0}) {
    const std::string pair = fmt::format("<div class=\"run-masked\">{}</div><div class=\"run-unmasked\">{}</div>",
                                         panel(m, "masked", b), panel(u, "unmasked", b));
    body += timed ? fmt::format("<div class=\"seq\"><div class=\"seqlabel\">sequence b={}</div><div class=\"panels\">{}"
                                "</div></div>", b, pair)
                  : fmt::format("<div class=\"panels\">{}</div>", pair);
  }
  const std::string verdict = masked_output_gradient_words(m, gm.output_mask);
  return fmt::format("<figure class=\"grad-output\"><figcaption>dloss/doutput {} · what the loss asks of this layer's "
                     "output{}</figcaption>{}<div class=\"legends\">{}</div>{}</figure>",
                     escape(shape_text(m.shape)),
                     timed && gm.output_mask ? ": hatched steps are masked in the masked run, white is exactly 0" : "",
                     verdict.empty() ? "" : fmt::format("<p class=\"{}\">masked run, {}</p>",
                                                        verdict.find(kMaskedOutputGradientZero) != std::string::npos
                                                            ? "same" : "warn", escape(verdict)),
                     signed_legend(top, timed && gm.output_mask), body);
}

float largest_entry(const Tensor& t) {
  float m = 0;
  for (float v : t.values) m = std::isnan(v) || std::isnan(m) ? NAN : std::max(m, std::fabs(v));
  return m;
}

// A recurrent layer (or half): per drawn sequence, one column per step in processing order, one row per
// weight, each cell the largest |entry| of that step's own term (0 exactly when the step adds nothing).
std::string step_terms(const LayerGradient& gm, const LayerGradient& gu, const View& view, const std::string& what) {
  if (gm.steps.empty() || gm.steps.size() != gu.steps.size())
    return fmt::format("<p class=\"dim\">{}: the per-step terms are not recorded at this size or --detail (maskviz "
                       "grad --detail full --batch I --steps A:B shows them)</p>", escape(what));
  const std::size_t n = gm.steps.front().contributions.size();
  const MaskedStepTerms terms = masked_step_terms(gm);
  std::string body;
  for (std::size_t b : view.sequences) {
    std::vector<std::size_t> cols;
    for (std::size_t i = 0; i < gm.steps.size(); ++i)
      if (gm.steps[i].batch == b && view.draws_step(gm.steps[i].t) && cols.size() < View::kSteps) cols.push_back(i);
    if (cols.empty()) continue;
    float top = 0;
    for (const auto* g : {&gm, &gu})
      for (std::size_t i : cols)
        for (const auto& c : g->steps[i].contributions) see(top, largest_entry(c.value));
    std::string pair;
    for (const auto* g : {&gm, &gu}) {
      const char* run = g == &gm ? "masked" : "unmasked";
      Panel p;
      p.caption = fmt::format("{} run", run);
      p.attributes = attrs("step-terms", gm.name, run, "step,term", fmt::format("{},{}", gm.steps.size(), n)) +
                     fmt::format(" data-b=\"{}\"", b);
      p.corner = "t";
      for (const auto& c : gm.steps.front().contributions)  // the full name is in each cell's hover
        p.row_labels.push_back(c.name == "recurrent_kernel" ? "rec_k" : c.name.substr(0, 6));
      for (std::size_t i : cols) {
        p.col_labels.push_back(fmt::format("{}", gm.steps[i].t));
        p.col_b.push_back(static_cast<long long>(b));
        p.col_t.push_back(static_cast<long long>(gm.steps[i].t));
        (g == &gm ? p.hatched : p.padding).push_back(gm.steps[i].masked ? 1 : 0);
      }
      p.cell = [g, &cols, n, top](std::size_t r, std::size_t c) {
        const float v = largest_entry(g->steps[cols[c]].contributions[r].value);
        return PanelCell{v, cols[c] * n + r, signed_colour(v, top)};
      };
      p.what = [g, &cols](std::size_t r, std::size_t c) {
        const StepGradient& s = g->steps[cols[c]];
        return fmt::format("t={} k={} · max |entry| of this step's term of {}", s.t, s.k, s.contributions[r].name);
      };
      pair += fmt::format("<div class=\"run-{}\">{}</div>", run, panel_svg(p));
    }
    body += fmt::format("<div class=\"seq\"><div class=\"seqlabel\">sequence b={}{}</div><div class=\"panels\">{}</div>"
                        "</div>", b, gm.steps[cols.front()].k != gm.steps[cols.front()].t ? " · columns in processing order" : "",
                        pair);
  }
  return fmt::format("<figure class=\"grad-steps\"><figcaption>{}: each step's own term of the weight gradients "
                     "(they sum to the weight gradients), largest |entry| per weight · hatched: masked steps, "
                     "white: exactly 0</figcaption><p class=\"{}\">masked run: {}</p>{}</figure>",
                     escape(what), terms.zero == terms.terms ? "same" : "warn", escape(masked_step_terms_words(terms)),
                     body);
}

std::string steps_figure(const LayerGradient& gm, const LayerGradient& gu, const View& view) {
  if (gm.sublayers.empty()) return step_terms(gm, gu, view, gm.name);
  std::string out;
  for (std::size_t i = 0; i < gm.sublayers.size() && i < gu.sublayers.size(); ++i)
    out += step_terms(gm.sublayers[i], gu.sublayers[i], view,
                      fmt::format("{} ({} half)", gm.sublayers[i].name, i == 0 ? "forward" : "backward"));
  return out;
}

// A weight-shaped tensor as a [rows, columns] panel, the first kRows rows and View::kFeatures columns.
Panel weight_panel(const Tensor& t, const char* fig, const std::string& layer, const char* run, const std::string& name,
                   float top, const std::vector<std::uint8_t>* unmoved_rows, bool padding_row) {
  const std::size_t n = t.row_length(), rows = n == 0 ? 0 : t.size() / n;
  Panel p;
  p.attributes = attrs(fig, layer, run, "row,col", fmt::format("{},{}", rows, n)) +
                 fmt::format(" data-weight=\"{}\"", escape(name));
  p.corner = "col";
  for (std::size_t r = 0; r < std::min(rows, kRows); ++r)
    p.row_labels.push_back(padding_row && r == 0 ? std::string("pad 0")
                           : unmoved_rows != nullptr && r < unmoved_rows->size() && !(*unmoved_rows)[r]
                               ? fmt::format("={}", r)
                               : fmt::format("{}", r));
  for (std::size_t c = 0; c < View::features(n); ++c)
    p.col_labels.push_back(fmt::format("{}", c)), p.col_b.push_back(-1), p.col_t.push_back(-1);
  p.cell = [&t, n, top](std::size_t r, std::size_t c) {
    return PanelCell{t.values[r * n + c], r * n + c, signed_colour(t.values[r * n + c], top)};
  };
  return p;
}

float top_of(const Tensor& a, const Tensor& b) {
  float top = 0;
  const std::size_t n = a.row_length(), rows = n == 0 ? 0 : a.size() / n;
  for (std::size_t r = 0; r < std::min(rows, kRows); ++r)
    for (std::size_t c = 0; c < View::features(n); ++c) see(top, a.values[r * n + c]), see(top, b.values[r * n + c]);
  return top;
}

// An Embedding: dloss/dembeddings row by row (a scatter-add of its lookups), row 0 the padding token.
std::string table_figure(const GradRecord& Gm, const GradRecord& Gu, std::size_t i) {
  const LayerGradient& gm = Gm.layers[i];
  const LayerGradient& gu = Gu.layers[i];
  if (gm.weights.empty() || gu.weights.empty()) return "";
  const Tensor& m = gm.weights[0].value;
  const Tensor& u = gu.weights[0].value;
  const float top = top_of(m, u);
  std::string runs;
  for (const auto* g : {&Gm, &Gu}) {
    const bool masked = g == &Gm;
    const char* run = masked ? "masked" : "unmasked";
    Panel p = weight_panel(masked ? m : u, "weight-gradient", gm.name, run, gm.weights[0].name, top, nullptr, true);
    p.caption = fmt::format("{} run · {}", run, padding_row_words(*g, i, masked ? RunMode::masked : RunMode::unmasked));
    runs += fmt::format("<div class=\"run-{}\">{}</div>", run, panel_svg(p));
  }
  const std::size_t rows = m.rank() == 0 ? 0 : m.dim(0);
  return fmt::format("<figure class=\"grad-table\"><figcaption>dloss/d{} {}, row by row (each row the sum of what its "
                     "lookups sent back): row 0 is the padding token{}</figcaption><div class=\"legends\">{}</div><div "
                     "class=\"panels\">{}</div></figure>",
                     escape(gm.weights[0].name), escape(shape_text(m.shape)),
                     rows > kRows ? fmt::format(" (rows 0–{} of {})", kRows - 1, rows) : std::string(),
                     signed_legend(top, false), runs);
}

// One optimizer step: after − before for each weight, both runs; a row that did not move is white and
// labelled "=r".
std::string train_figure(const GradRecord& Gm, const GradRecord& Gu, std::size_t i) {
  const auto& after_m = Gm.train.weights_after[i];
  if (after_m.empty()) return "";
  std::string out;
  for (std::size_t k = 0; k < after_m.size(); ++k) {
    const Tensor& before = Gm.train.weights_before[i][k].value;
    Tensor dm = after_m[k].value, du = Gu.train.weights_after[i][k].value;
    for (std::size_t e = 0; e < dm.size(); ++e) dm.values[e] -= before.values[e], du.values[e] -= before.values[e];
    const float top = top_of(dm, du);
    std::string runs;
    for (const auto* g : {&Gm, &Gu}) {
      const bool masked = g == &Gm;
      const RowsMoved moved = rows_moved(before, g->train.weights_after[i][k].value);
      const Panel p = weight_panel(masked ? dm : du, "weight-change", Gm.layers[i].name, masked ? "masked" : "unmasked",
                                   after_m[k].name, top, &moved.moved, false);
      Panel shown = p;
      shown.caption = fmt::format("{} run · {}", masked ? "masked" : "unmasked", rows_moved_words(after_m[k].name, before, moved));
      runs += fmt::format("<div class=\"run-{}\">{}</div>", masked ? "masked" : "unmasked", panel_svg(shown));
    }
    out += fmt::format("<div class=\"legends\">{}</div><div class=\"panels\">{}</div>", signed_legend(top, false), runs);
  }
  const TrainSpec& s = Gm.train.spec;
  return fmt::format("<figure class=\"grad-train\"><figcaption>one {} step (learning_rate {}{}): after − before for each "
                     "weight; white rows, labelled =r, did not move</figcaption>{}</figure>",
                     escape(s.optimizer), s.learning_rate,
                     s.weight_decay ? fmt::format(", weight_decay {}: every weight shrinks, whatever its gradient",
                                                  *s.weight_decay)
                                    : std::string(),
                     out);
}

std::string layer_gradients(const GradRecord& Gm, const GradRecord& Gu, std::size_t i, const View& view) {
  const LayerGradient& gm = Gm.layers[i];
  const LayerGradient& gu = Gu.layers[i];
  std::string kind;
  if (gm.kind == LayerGradient::Kind::recurrent) kind = steps_figure(gm, gu, view);
  if (gm.kind == LayerGradient::Kind::lookup_table) kind = table_figure(Gm, Gu, i);
  return fmt::format("<section class=\"grad-layer\" data-layer=\"{}\"><h3>{} · {} · gradient</h3>{}{}{}</section>\n",
                     escape(gm.name), escape(gm.name), escape(gm.type), output_gradient_figure(gm, gu, view), kind,
                     train_figure(Gm, Gu, i));
}

}  // namespace

std::string gradient_section(const Trace& trace, const View& view, const std::string& missing) {
  if (!trace.masked.grad || !trace.unmasked.grad)
    return missing.empty() ? std::string()
                           : fmt::format("<section class=\"gradients\"><h2>gradients</h2><p class=\"dim\">{}</p>"
                                         "</section>\n", escape(missing));
  const GradRecord& m = *trace.masked.grad;
  const GradRecord& u = *trace.unmasked.grad;
  std::string layers;
  for (std::size_t i = m.layers.size(); i-- > 0;)
    if (i < u.layers.size() && view.draws_layer(m.layers[i].name)) layers += layer_gradients(m, u, i, view);
  return fmt::format("<section class=\"gradients\" id=\"gradients\"><h2>gradients · the backward pass and one {} step, the same weights "
                     "in both runs</h2><p>masked run: loss = {}; unmasked run: loss = {}; {}</p>{}</section>\n",
                     escape(m.train.spec.optimizer), escape(scalar(m.loss, 4)), escape(scalar(u.loss, 4)),
                     escape(kBackwardPassWords), layers);
}

}  // namespace maskviz::html
