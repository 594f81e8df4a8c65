// `maskviz run`: the scenario, its input, the mask's path, then each run layer by layer (every step of
// a recurrent layer at full detail) and its loss. Reads only the record.
#include <fmt/format.h>

#include "render/render.h"
#include "analysis/mask_story.h"
#include "analysis/compare.h"
#include "analysis/recap.h"
#include "render/text_style.h"
#include "render/text_format.h"
#include "render/text_header.h"
#include "render/text_layer.h"
#include "render/text_loss.h"
#include "render/text_mask_path.h"

namespace maskviz {

namespace {

const char* run_title(RunMode mode) {
  return mode == RunMode::masked ? "masked run: the scenario as written"
                                 : "unmasked run: the same weights, every mask switched off";
}

void print_run(Printer& p, const Trace& trace, const RunRecord& run, const RunRecord* other, bool weights_shown) {
  const Scenario& scenario = *trace.scenario;
  const TextOptions& o = p.options();
  p.banner(run_title(run.mode));
  p.line();
  for (std::size_t i = 0; i < run.layers.size(); ++i) {
    const LayerRecord& layer = run.layers[i];
    if (o.layer && *o.layer != layer.name) continue;
    LayerPlace place;
    place.index = i;
    place.count = run.layers.size();
    place.input = i == 0 ? &scenario.input : &run.layers[i - 1].output;
    place.tokens = i == 0 && scenario.tokens;
    place.show_weights = !weights_shown;
    if (o.summary)
      print_layer_summary(p, layer, place);
    else
      print_layer(p, layer, place);
  }
  if (run.loss && !o.layer) {
    print_loss(p, *run.loss, run.mode, other != nullptr && other->loss ? &*other->loss : nullptr);
    p.line();
  }
}

// A scenario with several named model inputs: the first is drawn above as "input"; the others here,
// one row per sequence.
void print_other_inputs(Printer& p, const Scenario& scenario) {
  if (scenario.inputs.size() > 1) {
    p.paragraph(fmt::format("the input above is the model input \"{}\"", scenario.inputs.front().name), "  ", Tone::dim);
    p.line();
  }
  for (std::size_t i = 1; i < scenario.inputs.size(); ++i) {
    const ModelInput& input = scenario.inputs[i];
    const Tensor& x = input.values;
    p.heading(fmt::format("model input {} {} {} {}", input.name, p.style().bullet(), input.tokens ? "tokens" : "values",
                          shape_text(x.shape)));
    const std::size_t B = x.dim(0), per_b = x.size() / B;
    for (std::size_t b = 0; b < B; ++b) {
      if (!p.shows_batch(b)) continue;
      std::string row;
      if (input.tokens)
        for (std::size_t k = 0; k < per_b; ++k) row += fmt::format(" {:>4}", whole_or_number(x.values[b * per_b + k], 0));
      else
        row = " " + vector_text(x.data() + b * per_b, per_b, p.precision());
      p.line(fmt::format("  b={}{}", b, row));
    }
    p.line();
  }
}

// What the two runs showed, from the analysis: the mask, where the runs parted, the output, the loss. It is
// about the whole model whatever the selection, as the mask path above is.
void print_recap(Printer& p, const Trace& trace) {
  const TextOptions& o = p.options();
  Selection selection = o.selection();
  selection.layer.reset();  // the recap is about the whole model: every layer, the selected sequences and steps
  const Recap recap = recap_runs(trace, compare_runs(trace, selection), selection);
  p.banner(o.mode ? "recap: what this run showed" : "recap: what the two runs showed");
  for (const auto& sentence : recap_sentences(recap, [&](float v) { return scalar(v, p.precision()); }, o.mode))
    p.paragraph(p.style().text(sentence), "  ");
  if (o.batch || o.steps)
    p.paragraph("(about the selected sequences and steps; the loss is the whole batch's)", "  ", Tone::dim);
}

}  // namespace

void render_run(const Trace& trace, const TextOptions& options, std::ostream& out) {
  Printer p(options);
  const Scenario& scenario = *trace.scenario;
  print_header(p, scenario, trace.detail, "run");
  if (options.summary) print_summary_hint(p, scenario);
  print_input(p, scenario);
  print_other_inputs(p, scenario);
  // The story of the whole model, whatever part of it is selected.
  const RunComparison whole = compare_runs(trace);
  print_mask_path(p, trace, whole);
  p.line();

  const bool both = !options.mode;
  if (!options.mode || *options.mode == RunMode::masked)
    print_run(p, trace, trace.masked, both ? &trace.unmasked : nullptr, false);
  if (!options.mode || *options.mode == RunMode::unmasked)
    print_run(p, trace, trace.unmasked, both ? &trace.masked : nullptr, both);
  print_recap(p, trace);
  out << p.finish();
}

}  // namespace maskviz
