// `maskviz validate`: the scenario as it was understood, without running it. The model as a table
// (output shape, parameters, and what each layer will do with a mask: the engine's plan, engine/mask_plan.h),
// the input, the target and loss, the detail level, and which weights were given or drawn.
#include <fmt/format.h>

#include "analysis/mask_words.h"
#include "engine/mask_plan.h"
#include "engine/graph_plan.h"
#include "render/render.h"
#include "render/text_format.h"
#include "render/text_mask_path.h"
#include "render/text_printer.h"

namespace maskviz {

namespace {

const char* detail_words(Detail detail) {
  switch (detail) {
    case Detail::full: return "run, diff and export record every product, gate and candidate";
    case Detail::steps: return "run, diff and export record each step's flags and kept values, no products";
    case Detail::outputs: return "run, diff and export record layer outputs and masks only";
  }
  return "";
}

std::string planned_words(MaskAction action) {
  switch (action) {
    case MaskAction::none: return "no mask reaches it";
    case MaskAction::created: return "creates one";
    case MaskAction::passed_on: return "passes it on without reading it";
    case MaskAction::consumed: return "reads it, hands none on";
    case MaskAction::consumed_passed_on: return "reads it and passes it on";
    case MaskAction::dropped: return "drops it (Keras warns; later layers see none)";
    case MaskAction::switched_off: return "switched off";
    case MaskAction::merged: return "merges its inputs' masks";
  }
  return "";
}

// The title, the input, the target and loss, the seed, the detail level.
void print_overview(Printer& p, const Scenario& scenario, Detail detail) {
  const Style& s = p.style();
  const std::string name = scenario.name.empty() ? scenario.source : scenario.name;
  p.line(s.paint(fmt::format("maskviz validate {} {}", s.bullet(), s.text(name)), Tone::heading) + "  " +
         s.paint(fmt::format("{} a valid scenario; nothing was run", s.check()), Tone::good));
  if (!scenario.description.empty()) p.paragraph(scenario.description, "  ");
  p.line();

  const Tensor& x = scenario.input;
  const std::size_t B = x.dim(0), T = x.dim(1);
  p.paragraph(scenario.tokens ? fmt::format("token ids {}: {} of {}", shape_text(x.shape), plural(B, "sequence", "sequences"),
                                            plural(T, "step", "steps"))
                              : fmt::format("values {}: {} of {} with {}", shape_text(x.shape),
                                            plural(B, "sequence", "sequences"), plural(T, "step", "steps"),
                                            plural(x.dim(2), "feature", "features")),
              "  input   ");
  if (scenario.target && scenario.loss)
    p.paragraph(fmt::format("{}, loss {}{}, reduction sum_over_batch_size", shape_text(scenario.target->shape),
                            loss_name(scenario.loss->kind), scenario.loss->from_logits ? " (from_logits)" : ""),
                "  target  ");
  else
    p.line("  target  none: no loss is computed");
  p.paragraph(fmt::format("{} (draws every weight the scenario leaves out)", scenario.seed), "  seed    ");
  p.paragraph(fmt::format("{}: {}", detail_name(detail), detail_words(detail)), "  detail  ");
  p.line();
}

// The model as a table, with what each layer does with a mask (the engine's plan), and the loss's mask.
void print_model(Printer& p, const Scenario& scenario) {
  p.heading("model");
  Grid table(5);
  table.set_gap(3);
  table.set_uniform(false);
  table.set_label_header({{"#", Tone::heading}});
  const char* headers[] = {"layer", "type", "output shape", "params", "with a mask (masked run)"};
  for (std::size_t c = 0; c < 5; ++c) {
    table.set_header(c, headers[c]);
    if (c != 3) table.set_left_aligned(c);
  }
  const GraphPlan graph_plan = plan_graph_masks(scenario, RunMode::masked);  // the engine's walk, run on flags
  const std::vector<MaskAction>& plan = graph_plan.actions;
  std::size_t total = 0;
  std::vector<std::pair<std::string, LostMerge>> lost;  // merges that receive a mask and hand none on
  for (std::size_t i = 0; i < scenario.layers.size(); ++i) {
    const Layer& layer = *scenario.layers[i];
    const MaskAction action = plan[i];
    std::string words = planned_words(action);
    if (merge_loses_mask(action, graph_plan.input_masked[i], graph_plan.output_masked[i])) {
      lost.emplace_back(layer.name(), LostMerge{layer.type(), scenario.wiring[i].names, graph_plan.input_masked[i],
                                                graph_plan.input_cleared_by[i]});
      words = lost_merge_short(lost.back().second);
    }
    std::size_t params = 0;
    for (const auto& w : layer.weights()) params += element_count(w.value.shape);  // validate draws no values
    total += params;
    table.add_row({{std::to_string(i), Tone::dim}},
                  {{layer.name(), Tone::plain},
                   {layer.type(), Tone::plain},
                   {shape_text(layer.output_shape()), Tone::plain},
                   {std::to_string(params), Tone::plain},
                   {words, action == MaskAction::dropped || words != planned_words(action) ? Tone::warning
                           : action == MaskAction::none                                      ? Tone::dim
                                                                                             : Tone::plain}});
  }
  table.add_row({}, {{}, {}, {"total", Tone::dim}, {std::to_string(total), Tone::heading}});
  p.grid(table, 2);
  for (const auto& [name, merge] : lost) p.paragraph(fmt::format("{}: {}", name, lost_merge_words(merge)), "  mask    ");
  if (scenario.target && scenario.loss && !scenario.layers.empty()) {
    const bool masked_loss = graph_plan.loss_masked && scenario.layers.back()->output_shape().size() == 3;
    p.paragraph(masked_loss ? "the mask reaches the loss: in the masked run only the valid steps' terms count"
                            : "no mask reaches the loss: every term counts in both runs",
                "  loss    ");
  }
  p.line();
}

// Which weights were given and which drawn.
void print_weight_origins(Printer& p, const Scenario& scenario) {
  p.heading("weights");
  Grid weights(3);
  weights.set_gap(2);
  weights.set_uniform(false);
  for (std::size_t c = 0; c < 3; ++c) weights.set_left_aligned(c);
  bool any = false;
  for (const auto& layer : scenario.layers) {
    for (const auto& w : layer->weights()) {
      any = true;
      weights.add_row({{layer->name(), Tone::plain}},
                      {{w.name, Tone::plain}, {shape_text(w.value.shape), Tone::plain},
                       {w.drawn ? fmt::format("drawn: {}", w.initializer) : "given", w.drawn ? Tone::note : Tone::plain}});
    }
  }
  if (any)
    p.grid(weights, 2);
  else
    p.line("  none: no layer here has weights");
}

}  // namespace

void render_validate(const Scenario& scenario, Detail detail, const TextOptions& options, std::ostream& out) {
  Printer p(options);
  print_overview(p, scenario, detail);
  print_model(p, scenario);
  print_weight_origins(p, scenario);
  out << p.finish();
}

}  // namespace maskviz
