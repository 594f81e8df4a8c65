#include "render/text_printer.h"

#include <fmt/format.h>

#include <algorithm>

#include "render/text_format.h"

namespace maskviz {

Printer::Printer(const TextOptions& options) : options_(options), style_(options.color, options.ascii) {}

std::size_t Printer::width() const {
  std::size_t used = 0;
  for (const auto& [text, w] : prefixes_) used += w;
  const std::size_t total = options_.width < 40 ? 40 : options_.width;
  return total > used + 20 ? total - used : 20;
}

void Printer::line(const std::string& painted) {
  std::string text;
  for (const auto& [prefix, w] : prefixes_) text += prefix;
  text += painted;
  while (!text.empty() && text.back() == ' ') text.pop_back();
  out_ << text << '\n';
}

void Printer::span(const Span& span) {
  for (const auto& piece : wrap_span(span, width())) line(paint_span(piece, style_));
}

void Printer::grid(const Grid& grid, std::size_t indent) {
  const std::string pad(indent, ' ');
  const std::size_t w = width();
  for (const auto& text : grid.render(style_, w > indent + 20 ? w - indent : 20)) line(text.empty() ? text : pad + text);
}

bool Printer::fits(const Grid& grid, std::size_t indent) const {
  const std::size_t w = width() > indent ? width() - indent : 0;
  const auto lines = grid.render(style_, 100000);
  return std::all_of(lines.begin(), lines.end(), [&](const std::string& l) { return display_width(l) <= w; });
}

void Printer::paragraph(std::string_view text, std::string_view first, Tone tone, Tone first_tone) {
  const std::string folded = style_.text(text);
  const std::string rest(display_width(first), ' ');
  const auto lines = wrap(folded, width(), rest, rest);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string body = lines[i].substr(rest.size());
    line((i == 0 ? style_.paint(first, first_tone) : rest) + style_.paint(body, tone));
  }
}

void Printer::preformatted(std::string_view text, std::string_view indent) {
  const std::string folded = style_.text(text);
  if (display_width(indent) + display_width(folded) <= width())
    line(std::string(indent) + folded);
  else
    paragraph(folded, indent);
}

void Printer::note(std::string_view text, std::size_t indent) {
  if (!options_.notes) return;
  paragraph(text, std::string(indent, ' ') + "note: ", Tone::note, Tone::note);
}

void Printer::warning(std::string_view text, std::size_t indent) {
  paragraph(text, std::string(indent, ' ') + "warning: ", Tone::plain, Tone::warning);
}

void Printer::heading(std::string_view title) {
  const std::string head = fmt::format("{}{} {} ", style_.rule(), style_.rule(), style_.text(title));
  const std::size_t w = display_width(head);
  std::string rule;
  for (std::size_t i = w; i < width(); ++i) rule += style_.rule();
  line(style_.paint(head, Tone::heading) + style_.paint(rule, Tone::dim));
}

void Printer::banner(std::string_view title) {
  const std::string head = fmt::format("{}{} {} ", style_.double_rule(), style_.double_rule(), style_.text(title));
  std::string rule;
  for (std::size_t i = display_width(head); i < width(); ++i) rule += style_.double_rule();
  line(style_.paint(head + rule, Tone::heading));
}

void Printer::open_box(const Span& title) {
  const std::string corner = "  " + style_.paint(style_.box_top(), Tone::dim) + " ";
  const std::string side = "  " + style_.paint(style_.box_side(), Tone::dim);
  const auto pieces = wrap_span(title, width() > 5 ? width() - 5 : 20);
  for (std::size_t i = 0; i < pieces.size(); ++i) line((i == 0 ? corner : side + "   ") + paint_span(pieces[i], style_));
  prefixes_.push_back({side, 4});
}

void Printer::close_box(const Span& last) {
  prefixes_.pop_back();
  const std::string corner = "  " + style_.paint(style_.box_bottom(), Tone::dim) + " ";
  const auto pieces = wrap_span(last, width() > 5 ? width() - 5 : 20);
  for (std::size_t i = 0; i < pieces.size(); ++i) line((i == 0 ? corner : "     ") + paint_span(pieces[i], style_));
}

Span Printer::mask_cells(const Mask& mask, std::size_t b) const {
  Span cells;
  std::size_t shown = 0;
  for (std::size_t t = 0; t < mask.time; ++t) shown += shows_step(t) ? 1 : 0;
  const bool spaced = shown * 2 <= width() - 12;
  for (std::size_t t = 0; t < mask.time; ++t) {
    if (!shows_step(t)) continue;
    if (!cells.empty() && spaced) cells.push_back({" ", Tone::plain});
    cells.push_back({style_.mask_cell(mask.at(b, t)), mask.at(b, t) ? Tone::valid : Tone::masked});
  }
  return cells;
}

void Printer::mask_rows(const Mask& mask, std::size_t indent, std::size_t max_rows) {
  const std::string pad(indent, ' ');
  std::string range;
  if (options_.steps)
    range = fmt::format("t={}{}{}  ", options_.steps->first, style_.text("–"), options_.steps->second);
  const std::size_t label_width = fmt::format("b={}", mask.batch - 1).size();
  std::size_t printed = 0, left_out = 0;
  for (std::size_t b = 0; b < mask.batch; ++b) {
    if (!shows_batch(b)) continue;
    if (printed == max_rows) {
      ++left_out;
      continue;
    }
    ++printed;
    const std::string label = pad + pad_right(fmt::format("b={}", b), label_width) + "  " + range;
    const Span cells = mask_cells(mask, b);
    const std::size_t room = width() > display_width(label) + 8 ? width() - display_width(label) : 8;
    std::size_t at = 0;
    bool first = true;
    while (at < cells.size()) {
      // Break only after a glyph, so a wrapped row still starts with one.
      std::size_t end = at, used = 0;
      while (end < cells.size() && used + display_width(cells[end].text) <= room) used += display_width(cells[end++].text);
      if (end == at) end = at + 1;
      Span piece(cells.begin() + static_cast<std::ptrdiff_t>(at), cells.begin() + static_cast<std::ptrdiff_t>(end));
      line((first ? label : std::string(display_width(label), ' ')) + paint_span(piece, style_));
      first = false;
      at = end;
      while (at < cells.size() && cells[at].text == " ") ++at;
    }
  }
  if (left_out > 0)
    line(pad + style_.paint(fmt::format("{} and {} more (--batch I shows one)", style_.ellipsis(),
                                        plural(left_out, "sequence", "sequences")),
                            Tone::dim));
}

std::string Printer::finish() const { return style_.ascii() ? force_ascii(out_.str()) : out_.str(); }

}  // namespace maskviz
