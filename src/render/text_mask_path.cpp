#include "render/text_mask_path.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "analysis/mask_story.h"
#include "analysis/mask_words.h"
#include "render/text_format.h"

namespace maskviz {

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
      cells.push_back({mask_action_short(m), lost_merge(m) ? Tone::warning : tone});
      cells.push_back({u ? mask_action_short(*u) : "", Tone::dim});
      table.add_row({{m.name, Tone::plain}}, std::move(cells));
      if (shown_mask_from == nullptr && m.mask_action == MaskAction::created && m.output_mask) shown_mask_from = &m;
    }
    if (trace.masked.loss) {
      const LossRecord& loss = *trace.masked.loss;
      std::vector<Cell> cells;
      if (with_type) cells.push_back({loss.name, Tone::plain});
      cells.push_back({loss_mask_short(loss), Tone::plain});
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
    p.paragraph(s.text(not_dropout_words(*shown_mask_from)), "  ");
  }
  if (!story) return;
  p.line();
  p.paragraph(mask_story(trace, comparison), "  ");
}

}  // namespace maskviz
