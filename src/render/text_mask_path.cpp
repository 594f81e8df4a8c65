#include "render/text_mask_path.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "render/text_format.h"

namespace maskviz {

namespace {

bool is_recurrent(const LayerRecord& layer) {
  return layer.type == "LSTM" || layer.type == "GRU" || layer.type == "SimpleRNN" || layer.type == "Bidirectional";
}

// What reading the mask means for this kind of layer, in a few words.
std::string how_it_reads(const LayerRecord& layer) {
  if (is_recurrent(layer)) return "masked steps keep the state of the step before";
  if (layer.type == "GlobalAveragePooling1D") return "the mean is over the valid steps only";
  return "";
}

std::string mask_value_text(const LayerRecord& layer) {
  const auto it = layer.config.find("mask_value");
  if (it == layer.config.end() || !it->is_number()) return "mask_value";
  return whole_or_number(it->get<float>(), 4);
}

std::string layer_ref(const LayerRecord& layer) { return fmt::format("{} ({})", layer.name, layer.type); }

bool keeps_every_step(const OptMask& mask) {
  return mask && mask->valid_count() == mask->keep.size();
}

}  // namespace

std::string mask_action_words(const LayerRecord& layer) {
  switch (layer.mask_action) {
    case MaskAction::none: return "no mask reaches it";
    case MaskAction::created:
      if (layer.type == "Embedding") return "creates it: a step is masked where its token is 0";
      if (layer.type == "Masking")
        return fmt::format("creates it: a step is masked where every feature is {}", mask_value_text(layer));
      return "creates it";
    case MaskAction::passed_on: return "passes it on without reading it";
    case MaskAction::consumed: {
      const std::string how = how_it_reads(layer);
      return how.empty() ? "reads it and hands none on" : fmt::format("reads it ({}) and hands none on", how);
    }
    case MaskAction::consumed_passed_on: {
      const std::string how = how_it_reads(layer);
      return how.empty() ? "reads it and passes it on" : fmt::format("reads it ({}) and passes it on", how);
    }
    case MaskAction::dropped:
      return fmt::format("drops it: {} does not support masking, so Keras warns and no later layer sees it",
                         layer.type);
    case MaskAction::switched_off: return "would create one, but masks are switched off in this run";
  }
  return "";
}

std::string mask_action_short(MaskAction action) {
  switch (action) {
    case MaskAction::none: return "no mask";
    case MaskAction::created: return "creates";
    case MaskAction::passed_on: return "passes on";
    case MaskAction::consumed: return "reads";
    case MaskAction::consumed_passed_on: return "reads, passes on";
    case MaskAction::dropped: return "drops";
    case MaskAction::switched_off: return "switched off";
  }
  return "";
}

std::string mask_story(const Trace& trace, const RunComparison& comparison) {
  const auto& layers = trace.masked.layers;
  const LayerRecord* creator = nullptr;
  const LayerRecord* reader = nullptr;
  const LayerRecord* dropper = nullptr;
  std::vector<std::string> passers;
  for (const auto& layer : layers) {
    if (creator == nullptr) {
      if (layer.mask_action == MaskAction::created) creator = &layer;
      continue;
    }
    if (layer.mask_action == MaskAction::consumed || layer.mask_action == MaskAction::consumed_passed_on) {
      reader = &layer;
      break;
    }
    if (layer.mask_action == MaskAction::dropped) {
      dropper = &layer;
      break;
    }
    if (layer.mask_action == MaskAction::passed_on) passers.push_back(layer.name);
  }
  const bool loss_reads = reader == nullptr && dropper == nullptr && trace.masked.loss && trace.masked.loss->mask;

  if (comparison.first_layer) {
    const LayerComparison& first = comparison.layers[*comparison.first_layer];
    const LayerRecord& at = *first.masked;
    if (&at == reader) {
      const std::string how = how_it_reads(at);
      return fmt::format("The runs part at {}, the first layer that reads the mask made by {}{}. Every layer "
                         "before it computed the same numbers in both runs: masking changes no weight.",
                         layer_ref(at), creator->name, how.empty() ? "" : fmt::format(" ({})", how));
    }
    if (&at == creator && at.type == "Masking")
      return fmt::format("The runs part at {} itself: in the masked run it also sets the masked steps to 0 (they "
                         "held {}), in the unmasked run it passes them through.",
                         layer_ref(at), mask_value_text(at));
    return fmt::format("The runs first part at {}.", layer_ref(at));
  }
  if (creator == nullptr) return "No layer makes a mask, so both runs are the same model and agree everywhere.";
  if (keeps_every_step(creator->output_mask))
    return fmt::format("{} makes a mask, but it keeps every step (there is no padding in this input), so both runs "
                       "agree.", creator->name);
  const std::string passed = passers.empty() ? ""
                             : fmt::format(" ({} only passed it on)", fmt::join(passers, ", "));
  if (reader != nullptr)
    return fmt::format("The mask made by {} is read by {}{}, yet every number agrees in both runs.", creator->name,
                       reader->name, passed);
  if (loss_reads) {
    if (comparison.loss_counted && !comparison.loss_identical)
      return fmt::format("No layer reads the mask made by {}{}: every layer output is the same in both runs. Only the "
                         "loss reads it: it counts the valid terms and leaves the masked ones out, so the loss "
                         "differs.", creator->name, passed);
    return fmt::format("No layer reads the mask made by {}{}; the loss does, and still agrees.", creator->name, passed);
  }
  if (dropper != nullptr)
    return fmt::format("The mask made by {} is dropped by {} before any layer{} reads it{}: both runs compute the "
                       "same numbers. Creating a mask changes nothing by itself; only a layer or loss that reads it "
                       "does.", creator->name, layer_ref(*dropper), trace.masked.loss ? " or the loss" : "", passed);
  return fmt::format("The mask made by {} is never read: no layer after it uses it{}, and {}, so both runs agree.",
                     creator->name, passed,
                     trace.masked.loss ? "the loss cannot line up with it" : "there is no loss");
}

void print_mask_path(Printer& p, const Trace& trace, const RunComparison& comparison, bool story) {
  const Style& s = p.style();
  p.heading("mask path");
  // The type column goes first when the names are too long for the width.
  const LayerRecord* shown_mask_from = nullptr;
  auto make_table = [&](bool with_type) {
    const std::size_t type_col = with_type ? 1 : 0;
    Grid table(2 + type_col);
    table.set_gap(3);
    table.set_label_header({{"layer", Tone::heading}});
    if (with_type) table.set_header(0, "type");
    table.set_header(type_col, "masked run");
    table.set_header(type_col + 1, "unmasked run");
    for (std::size_t c = 0; c < 2 + type_col; ++c) table.set_left_aligned(c);
    for (std::size_t i = 0; i < trace.masked.layers.size(); ++i) {
      const LayerRecord& m = trace.masked.layers[i];
      const LayerRecord* u = i < trace.unmasked.layers.size() ? &trace.unmasked.layers[i] : nullptr;
      const Tone tone = m.mask_action == MaskAction::dropped ? Tone::warning
                        : m.mask_action == MaskAction::none  ? Tone::dim
                                                             : Tone::plain;
      std::vector<Cell> cells;
      if (with_type) cells.push_back({m.type, Tone::plain});
      cells.push_back({mask_action_short(m.mask_action), tone});
      cells.push_back({u ? mask_action_short(u->mask_action) : "", Tone::dim});
      table.add_row({{m.name, Tone::plain}}, std::move(cells));
      if (shown_mask_from == nullptr && m.mask_action == MaskAction::created && m.output_mask) shown_mask_from = &m;
    }
    if (trace.masked.loss) {
      const LossRecord& loss = *trace.masked.loss;
      std::vector<Cell> cells;
      if (with_type) cells.push_back({loss.name, Tone::plain});
      cells.push_back({loss.mask ? fmt::format("reads: {} of {} terms count", loss.valid, loss.total) : "every term counts",
                       Tone::plain});
      cells.push_back({"every term counts", Tone::dim});
      table.add_row({{with_type ? "loss" : fmt::format("loss ({})", loss.name), Tone::plain}}, std::move(cells));
    }
    return table;
  };
  Grid table = make_table(true);
  if (!p.fits(table, 2)) table = make_table(false);
  p.grid(table, 2);
  if (shown_mask_from != nullptr) {
    p.line();
    p.line(fmt::format("  the mask {} makes ({} valid, {} masked):", shown_mask_from->name,
                       s.painted_mask_cell(true), s.painted_mask_cell(false)));
    p.mask_rows(*shown_mask_from->output_mask, 4, p.options().summary ? 8 : static_cast<std::size_t>(-1));
  }
  if (!story) return;
  p.line();
  p.paragraph(mask_story(trace, comparison), "  ");
}

}  // namespace maskviz
