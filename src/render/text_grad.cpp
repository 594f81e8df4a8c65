// The backward pass, from the loss back to the input, and what it says about the forum's questions:
// does masking force weights to zero, and is it like dropout. Each answer is computed from this run's
// gradient record, so its numbers are this scenario's.
#include "render/text_grad.h"

#include <fmt/format.h>

#include <cmath>

#include "analysis/grad_words.h"
#include "render/text_format.h"
#include "render/text_header.h"

namespace maskviz {

namespace {

bool is_recurrent(const LayerGradient& g) {
  return g.kind == LayerGradient::Kind::recurrent;
}

// ∂loss/∂output one row per (sequence, step), or per sequence, with the mask glyph where there is one.
}  // namespace

void print_grad_rows(Printer& p, const Tensor& t, const OptMask& mask, const std::string& what) {
  const Style& s = p.style();
  const bool timed = t.rank() == 3;
  const std::size_t T = timed ? t.dim(1) : 1, n = t.row_length();
  Grid grid(n);
  for (std::size_t r = 0; r < t.size() / n; ++r) {
    const std::size_t b = r / T, step = r % T;
    if (!p.shows_batch(b) || (timed && !p.shows_step(step))) continue;
    Span label{{timed ? fmt::format("b={} t={}", b, step) : fmt::format("b={}", b), Tone::plain}};
    bool zero = true;
    for (std::size_t i = 0; i < n; ++i) zero &= t.row(r)[i] == 0.0f;
    const bool masked = timed && mask && !mask->at(b, step);
    if (timed && mask) {
      label.push_back({" ", Tone::plain});
      label.push_back({s.mask_cell(!masked), masked ? Tone::masked : Tone::valid});
    }
    std::vector<Cell> cells;
    for (std::size_t i = 0; i < n; ++i) cells.push_back({grad_number(t.row(r)[i], p.precision()), zero ? Tone::dim : Tone::plain});
    Span trail;
    bool nan = false;
    for (std::size_t i = 0; i < n; ++i) nan |= std::isnan(t.row(r)[i]);
    if (masked && zero) trail.push_back({kMaskedOutputGradientZero, Tone::masked});
    if (masked && nan) trail.push_back({kMaskedOutputGradientNaN, Tone::warning});
    grid.add_row(std::move(label), std::move(cells), std::move(trail));
  }
  p.line(fmt::format("  {} {}", what, shape_text(t.shape)));
  if (!grid.empty()) p.grid(grid, 4);
}

namespace {

float largest(const Tensor& t) {
  float m = 0;
  for (float v : t.values) m = std::isnan(v) || std::isnan(m) ? NAN : std::max(m, std::fabs(v));
  return m;
}

// A large scenario without selectors: one line per tensor, as `run` summarises.
void print_layer_summary(Printer& p, const LayerGradient& g) {
  p.heading(fmt::format("{} ({}) {} gradient", g.name, g.type, p.style().bullet()));
  p.line(fmt::format("  dloss/doutput {}  max |entry| {}", shape_text(g.output_gradient.shape),
                     scalar(largest(g.output_gradient), p.precision())));
  for (const auto& w : g.weights)
    p.line(fmt::format("  dloss/d{} {}  max |entry| {}", w.name, shape_text(w.value.shape),
                       scalar(largest(w.value), p.precision())));
}

void print_layer(Printer& p, const LayerGradient& g) {
  if (p.options().summary) {
    print_layer_summary(p, g);
    return;
  }
  const Style& s = p.style();
  p.heading(fmt::format("{} ({}) {} gradient", g.name, g.type, s.bullet()));
  print_grad_rows(p, g.output_gradient, g.output_mask, "dloss/doutput");
  if (g.logits_gradient) {
    p.note("the loss reads the logits behind this sigmoid/softmax (Keras' _keras_logits): TensorFlow has no "
           "gradient at the probabilities above (shown for the same loss written on them); every weight "
           "gradient flows through dloss/dlogits below.", 2);
    print_grad_rows(p, *g.logits_gradient, g.output_mask, "dloss/dlogits");
  }
  if (g.kind == LayerGradient::Kind::attention) print_grad_attention_inputs(p, g);
  if (is_recurrent(g)) print_grad_steps(p, g);
  const bool table = g.kind == LayerGradient::Kind::lookup_table;
  if (table) print_grad_lookups(p, g);
  for (const auto& w : g.weights) {
    if (table) continue;  // shown row by row with its lookups
    p.line(fmt::format("  dloss/d{} {}", w.name, shape_text(w.value.shape)));
    const std::size_t block = g.gate_names.empty() ? 0 : w.value.row_length() / g.gate_names.size();
    print_matrix(p, w.value, block, g.gate_names, 4);
  }
}

struct Counts {
  std::size_t masked_terms = 0, masked_zero = 0, weights = 0, zeroed = 0, moved = 0;
};

Counts count(const GradRecord& g) {
  Counts c;
  auto steps = [&](const LayerGradient& l) {
    const MaskedStepTerms n = masked_step_terms(l);
    c.masked_terms += n.terms;
    c.masked_zero += n.zero;
  };
  for (const auto& l : g.layers) {
    steps(l);
    for (const auto& sub : l.sublayers) steps(sub);
  }
  for (std::size_t i = 0; i < g.train.weights_after.size(); ++i)
    for (std::size_t k = 0; k < g.train.weights_after[i].size(); ++k) {
      const auto& before = g.train.weights_before[i][k].value.values;
      const auto& after = g.train.weights_after[i][k].value.values;
      for (std::size_t e = 0; e < after.size(); ++e) {
        ++c.weights;
        c.zeroed += after[e] == 0.0f && before[e] != 0.0f ? 1 : 0;
        c.moved += after[e] != before[e] ? 1 : 0;
      }
    }
  return c;
}

void print_answers(Printer& p, const GradRecord& g, RunMode mode) {
  const Counts c = count(g);
  p.heading("does masking force weights to zero?");
  std::string steps = c.masked_terms == 0
                          ? "No recurrent step is masked here."
                          : fmt::format("{} of the {} gradient terms of masked steps are exactly 0: a masked step adds "
                                        "nothing, and the gradient passes through the carried state unchanged.",
                                        c.masked_zero, c.masked_terms);
  p.paragraph(fmt::format("No. After one {} step {} of {} weights moved and {} became zero (none was set to zero by "
                          "the mask). {}",
                          g.train.spec.optimizer, c.moved, c.weights, c.zeroed,
                          mode == RunMode::masked ? steps : "This is the unmasked run: every step counts."),
              "  ");
  for (std::size_t i = 0; i < g.layers.size(); ++i)
    if (const std::string row = padding_row_words(g, i, mode); !row.empty()) p.paragraph(row, "  ");
  for (const LayerGradient& layer : g.layers)
    if (layer.kind == LayerGradient::Kind::attention)
      if (const std::string answer = attention_answer(layer); !answer.empty()) p.paragraph(answer, "  ");
  p.heading("is it like dropout?");
  p.paragraph("No. Dropout zeroes random activations during training, different ones at every step of training, "
              "and is the identity at inference. Masking removes whole time steps from the loss and from every "
              "gradient, the same steps every time, and zeroes no weight and no activation that counts.",
              "  ");
}

}  // namespace

void render_grad(const Trace& trace, const TextOptions& options, std::ostream& out) {
  Printer p(options);
  print_header(p, *trace.scenario, trace.detail, "grad");
  for (const RunRecord* run : {&trace.masked, &trace.unmasked}) {
    if (options.mode && *options.mode != run->mode) continue;
    if (!run->grad) continue;
    const GradRecord& g = *run->grad;
    p.banner(fmt::format("{} run {} backward pass", run->mode == RunMode::masked ? "masked" : "unmasked",
                         p.style().bullet()));
    p.paragraph(fmt::format("loss = {}; {}", scalar(g.loss, options.precision), kBackwardPassWords),
                "  ");
    for (std::size_t i = g.layers.size(); i-- > 0;) {
      if (options.layer && *options.layer != g.layers[i].name) continue;
      print_layer(p, g.layers[i]);
    }
    if (!options.summary) print_train(p, g);
    print_answers(p, g, run->mode);
  }
  if (options.summary) print_summary_hint(p, *trace.scenario);
  out << p.finish();
}

}  // namespace maskviz
