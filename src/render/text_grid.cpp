#include "render/text_grid.h"

#include <fmt/format.h>

#include <algorithm>

namespace maskviz {

std::size_t span_width(const Span& span) {
  std::size_t width = 0;
  for (const auto& cell : span) width += display_width(cell.text);
  return width;
}

std::string paint_span(const Span& span, const Style& style) {
  std::string out;
  for (const auto& cell : span) out += style.paint(cell.text, cell.tone);
  return out;
}

std::vector<Span> wrap_span(const Span& span, std::size_t width) {
  // Words keep the tone of every character, so a wrapped "← carried over" stays painted.
  struct Piece {
    std::string text;
    Tone tone;
  };
  std::vector<std::vector<Piece>> words(1);
  for (const auto& cell : span) {
    std::size_t i = 0;
    while (i < cell.text.size()) {
      if (cell.text[i] == ' ') {
        if (!words.back().empty()) words.emplace_back();
        ++i;
        continue;
      }
      const std::size_t end = std::min(cell.text.find(' ', i), cell.text.size());
      words.back().push_back({cell.text.substr(i, end - i), cell.tone});
      i = end;
    }
  }
  std::vector<Span> lines(1);
  std::size_t line_width = 0;
  for (const auto& word : words) {
    if (word.empty()) continue;
    std::size_t word_width = 0;
    for (const auto& piece : word) word_width += display_width(piece.text);
    if (line_width > 0 && line_width + 1 + word_width > width) {
      lines.emplace_back();
      line_width = 0;
    }
    if (line_width > 0) {
      lines.back().push_back({" ", Tone::plain});
      ++line_width;
    }
    for (const auto& piece : word) lines.back().push_back({piece.text, piece.tone});
    line_width += word_width;
  }
  return lines;
}

void Grid::add_row(Span label, std::vector<Cell> cells, Span trail) {
  cells.resize(columns_);
  rows_.push_back({std::move(label), std::move(cells), std::move(trail)});
}

std::vector<std::string> Grid::render(const Style& style, std::size_t width) const {
  std::size_t label_width = span_width(label_header_);
  for (const auto& row : rows_) label_width = std::max(label_width, span_width(row.label));
  std::vector<std::size_t> col_width(columns_, 0);
  for (std::size_t c = 0; c < columns_; ++c) {
    col_width[c] = display_width(headers_[c]);
    for (const auto& row : rows_) col_width[c] = std::max(col_width[c], display_width(row.cells[c].text));
  }

  if (uniform_) {
    std::size_t widest = 0;
    for (std::size_t c = 0; c < columns_; ++c)
      if (!left_[c]) widest = std::max(widest, col_width[c]);
    for (std::size_t c = 0; c < columns_; ++c)
      if (!left_[c]) col_width[c] = widest;
  }

  // Units wrap as a whole: a group, or one column when there are no groups.
  struct Unit {
    std::string name;
    std::size_t first, count;
  };
  auto columns_width = [&](std::size_t first, std::size_t count) {
    std::size_t w = 0;
    for (std::size_t c = first; c < first + count; ++c) w += col_width[c];
    return w + (count > 0 ? (count - 1) * gap_ : 0);
  };
  auto unit_width = [&](const Unit& u) { return std::max(columns_width(u.first, u.count), display_width(u.name)); };
  std::vector<Unit> units;
  if (groups_.empty()) {
    for (std::size_t c = 0; c < columns_; ++c) units.push_back({"", c, 1});
  } else {
    for (const auto& g : groups_)
      if (g.count > 0) units.push_back({g.name, g.first, g.count});
  }
  const bool barred = !groups_.empty();
  const std::size_t unit_sep = barred ? 3 : gap_;
  const std::size_t lead = label_width > 0 ? label_width + 2 : 0;
  const std::size_t budget = width > lead + 8 ? width - lead : 8;

  // A unit wider than the whole budget is split column by column.
  std::vector<Unit> pieces;
  bool any_split = false;
  for (const auto& u : units) {
    if (unit_width(u) <= budget) {
      pieces.push_back(u);
      continue;
    }
    any_split = true;
    std::size_t start = u.first;
    while (start < u.first + u.count) {
      std::size_t count = 1;
      while (start + count < u.first + u.count && columns_width(start, count + 1) <= budget) ++count;
      pieces.push_back({u.name, start, count});
      start += count;
    }
  }
  // As few chunks as greedy packing needs, then the pieces spread evenly over them, so an LSTM's four
  // gate blocks wrap two and two rather than three and one.
  auto chunk_fits = [&](std::size_t first, std::size_t count) {
    std::size_t w = 0;
    for (std::size_t i = first; i < first + count; ++i) w += unit_width(pieces[i]) + (i > first ? unit_sep : 0);
    return w <= budget;
  };
  std::size_t greedy = 0;
  for (std::size_t i = 0; i < pieces.size(); ++greedy) {
    std::size_t count = 1;
    while (i + count < pieces.size() && chunk_fits(i, count + 1)) ++count;
    i += count;
  }
  std::vector<std::vector<Unit>> chunks;
  if (greedy > 0) {
    const std::size_t per_chunk = (pieces.size() + greedy - 1) / greedy;
    bool even = true;
    for (std::size_t i = 0; i < pieces.size(); i += per_chunk)
      even &= chunk_fits(i, std::min(per_chunk, pieces.size() - i));
    for (std::size_t i = 0; i < pieces.size();) {
      std::size_t count = 1;
      if (even) {
        count = std::min(per_chunk, pieces.size() - i);
      } else {
        while (i + count < pieces.size() && chunk_fits(i, count + 1)) ++count;
      }
      chunks.emplace_back(pieces.begin() + static_cast<std::ptrdiff_t>(i),
                          pieces.begin() + static_cast<std::ptrdiff_t>(i + count));
      i += count;
    }
  }

  std::vector<std::string> lines;
  const std::string blank_label(lead, ' ');
  for (std::size_t k = 0; k < chunks.size(); ++k) {
    const auto& chunk = chunks[k];
    const bool last = k + 1 == chunks.size();
    if (k > 0) lines.emplace_back();
    if (chunks.size() > 1 && (!barred || any_split) && !chunk.empty()) {
      const std::size_t first = chunk.front().first, end = chunk.back().first + chunk.back().count;
      lines.push_back(blank_label + style.paint(fmt::format("columns {}{}{} of {}", first, style.text("–"), end - 1,
                                                            columns_),
                                                Tone::dim));
    }
    auto join_units = [&](auto&& unit_text) {
      std::string line;
      for (std::size_t u = 0; u < chunk.size(); ++u) {
        if (u > 0) line += barred ? std::string(" ") + style.paint(style.bar(), Tone::dim) + " " : std::string(gap_, ' ');
        line += unit_text(chunk[u]);
      }
      return line;
    };
    if (barred) {
      std::string line = blank_label + join_units([&](const Unit& u) {
        return style.paint(pad_right(u.name, unit_width(u)), Tone::heading);
      });
      lines.push_back(line);
    }
    bool has_headers = !label_header_.empty() || (last && !trail_header_.empty());
    for (const auto& u : chunk)
      for (std::size_t c = u.first; c < u.first + u.count; ++c) has_headers |= !headers_[c].empty();
    if (has_headers) {
      std::string line = lead > 0 ? paint_span(label_header_, style) +
                                        std::string(lead - span_width(label_header_), ' ')
                                  : std::string();
      line += join_units([&](const Unit& u) {
        std::string text;
        for (std::size_t c = u.first; c < u.first + u.count; ++c) {
          if (c > u.first) text += std::string(gap_, ' ');
          const std::string h = left_[c] ? pad_right(headers_[c], col_width[c]) : pad_left(headers_[c], col_width[c]);
          text += style.paint(h, Tone::heading);
        }
        return pad_right(text, unit_width(u));
      });
      if (last && !trail_header_.empty()) line += "  " + paint_span(trail_header_, style);
      while (!line.empty() && line.back() == ' ') line.pop_back();
      lines.push_back(line);
    }
    for (const auto& row : rows_) {
      std::string line = lead > 0 ? paint_span(row.label, style) + std::string(lead - span_width(row.label), ' ')
                                  : std::string();
      line += join_units([&](const Unit& u) {
        std::string text;
        for (std::size_t c = u.first; c < u.first + u.count; ++c) {
          if (c > u.first) text += std::string(gap_, ' ');
          const Cell& cell = row.cells[c];
          const std::string padded = left_[c] ? pad_right(cell.text, col_width[c]) : pad_left(cell.text, col_width[c]);
          text += style.paint(padded, cell.tone);
        }
        return pad_right(text, unit_width(u));
      });
      if (last && !row.trail.empty()) {
        const std::size_t line_width = display_width(line);
        const std::size_t trail_width = span_width(row.trail);
        if (line_width + 2 + trail_width <= width) {
          line += "  " + paint_span(row.trail, style);
        } else if (line_width + 2 + 20 <= width) {
          // Wrap the trail in the room to the right of the numbers.
          const auto pieces = wrap_span(row.trail, width - line_width - 2);
          const std::string indent(line_width + 2, ' ');
          for (std::size_t p = 0; p < pieces.size(); ++p) {
            if (p == 0) {
              line += "  " + paint_span(pieces[p], style);
            } else {
              while (!line.empty() && line.back() == ' ') line.pop_back();
              lines.push_back(line);
              line = indent + paint_span(pieces[p], style);
            }
          }
        } else {
          while (!line.empty() && line.back() == ' ') line.pop_back();
          lines.push_back(line);
          const std::size_t indent = std::min(lead + 2, width / 2);
          const auto pieces = wrap_span(row.trail, width - indent);
          for (std::size_t p = 0; p + 1 < pieces.size(); ++p)
            lines.push_back(std::string(indent, ' ') + paint_span(pieces[p], style));
          line = std::string(indent, ' ') + paint_span(pieces.back(), style);
        }
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      lines.push_back(line);
    }
  }
  return lines;
}

}  // namespace maskviz
