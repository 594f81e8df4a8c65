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
  cells.resize(parts_.columns);
  parts_.rows.push_back({std::move(label), std::move(cells), std::move(trail)});
}

namespace {

// Grid::render in named steps: (1) measure the columns, (2) cut the columns into units that wrap as a
// whole (a group, or one column), splitting a unit wider than the width, (3) pack the pieces into
// chunks of lines, (4) write each chunk: its column range, group names, headers, then the rows.
class GridLayout {
 public:
  GridLayout(const Grid::Parts& g, const Style& style, std::size_t width) : g_(g), style_(style), width_(width) {
    measure();
    barred_ = !g_.groups.empty();
    unit_sep_ = barred_ ? 3 : g_.gap;
    lead_ = label_width_ > 0 ? label_width_ + 2 : 0;
    budget_ = width_ > lead_ + 8 ? width_ - lead_ : 8;
    cut_pieces();
    pack_chunks();
  }

  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    for (std::size_t k = 0; k < chunks_.size(); ++k) write_chunk(out, k);
    return out;
  }

 private:
  struct Unit {
    std::string name;
    std::size_t first, count;
  };
  using Chunk = std::vector<Unit>;

  // (1) The label's width and each column's, right-aligned columns as wide as the widest when uniform.
  void measure() {
    label_width_ = span_width(g_.label_header);
    for (const auto& row : g_.rows) label_width_ = std::max(label_width_, span_width(row.label));
    col_width_.assign(g_.columns, 0);
    for (std::size_t c = 0; c < g_.columns; ++c) {
      col_width_[c] = display_width(g_.headers[c]);
      for (const auto& row : g_.rows) col_width_[c] = std::max(col_width_[c], display_width(row.cells[c].text));
    }
    if (!g_.uniform) return;
    std::size_t widest = 0;
    for (std::size_t c = 0; c < g_.columns; ++c)
      if (!g_.left[c]) widest = std::max(widest, col_width_[c]);
    for (std::size_t c = 0; c < g_.columns; ++c)
      if (!g_.left[c]) col_width_[c] = widest;
  }

  std::size_t columns_width(std::size_t first, std::size_t count) const {
    std::size_t w = 0;
    for (std::size_t c = first; c < first + count; ++c) w += col_width_[c];
    return w + (count > 0 ? (count - 1) * g_.gap : 0);
  }
  std::size_t unit_width(const Unit& u) const { return std::max(columns_width(u.first, u.count), display_width(u.name)); }

  // (2) Units wrap as a whole: a group, or one column when there are no groups. A unit wider than the
  // whole budget is split column by column.
  void cut_pieces() {
    std::vector<Unit> units;
    if (g_.groups.empty()) {
      for (std::size_t c = 0; c < g_.columns; ++c) units.push_back({"", c, 1});
    } else {
      for (const auto& group : g_.groups)
        if (group.count > 0) units.push_back({group.name, group.first, group.count});
    }
    for (const auto& u : units) {
      if (unit_width(u) <= budget_) {
        pieces_.push_back(u);
        continue;
      }
      any_split_ = true;
      std::size_t start = u.first;
      while (start < u.first + u.count) {
        std::size_t count = 1;
        while (start + count < u.first + u.count && columns_width(start, count + 1) <= budget_) ++count;
        pieces_.push_back({u.name, start, count});
        start += count;
      }
    }
  }

  std::size_t chunk_width(std::size_t first, std::size_t count) const {
    std::size_t w = 0;
    for (std::size_t i = first; i < first + count; ++i) w += unit_width(pieces_[i]) + (i > first ? unit_sep_ : 0);
    return w;
  }
  bool chunk_fits(std::size_t first, std::size_t count) const { return chunk_width(first, count) <= pack_budget_; }

  // (3) As few chunks as greedy packing needs, then the pieces spread evenly over them, so an LSTM's
  // four gate blocks wrap two and two rather than three and one. With trails_beside, a short trail (a
  // row's length, "[12]") must fit beside the last chunk: when it would not, the pieces are packed again
  // with room kept for it, rather than the trail being pushed onto a line of its own under every row.
  void pack_chunks() {
    pack_budget_ = budget_;
    pack();
    if (!g_.trails_beside) return;
    std::size_t reserve = 0;
    for (const auto& row : g_.rows)
      if (const std::size_t w = span_width(row.trail); w <= kShortTrail) reserve = std::max(reserve, w);
    if (reserve == 0 || chunks_.empty() || chunks_.back().size() < 2 || budget_ < reserve + 2 + 8) return;
    const std::size_t last_first = pieces_.size() - chunks_.back().size();
    if (chunk_width(last_first, chunks_.back().size()) + 2 + reserve <= budget_) return;
    chunks_.clear();
    pack_budget_ = budget_ - reserve - 2;
    pack();
  }

  void pack() {
    std::size_t greedy = 0;
    for (std::size_t i = 0; i < pieces_.size(); ++greedy) {
      std::size_t count = 1;
      while (i + count < pieces_.size() && chunk_fits(i, count + 1)) ++count;
      i += count;
    }
    if (greedy == 0) return;
    const std::size_t per_chunk = (pieces_.size() + greedy - 1) / greedy;
    bool even = true;
    for (std::size_t i = 0; i < pieces_.size(); i += per_chunk)
      even &= chunk_fits(i, std::min(per_chunk, pieces_.size() - i));
    for (std::size_t i = 0; i < pieces_.size();) {
      std::size_t count = 1;
      if (even) {
        count = std::min(per_chunk, pieces_.size() - i);
      } else {
        while (i + count < pieces_.size() && chunk_fits(i, count + 1)) ++count;
      }
      chunks_.emplace_back(pieces_.begin() + static_cast<std::ptrdiff_t>(i),
                           pieces_.begin() + static_cast<std::ptrdiff_t>(i + count));
      i += count;
    }
  }

  template <class UnitText>
  std::string join_units(const Chunk& chunk, UnitText&& unit_text) const {
    std::string line;
    for (std::size_t u = 0; u < chunk.size(); ++u) {
      if (u > 0) line += barred_ ? std::string(" ") + style_.paint(style_.bar(), Tone::dim) + " " : std::string(g_.gap, ' ');
      line += unit_text(chunk[u]);
    }
    return line;
  }

  // The cells of one unit, each padded to its column and painted.
  template <class CellOf>
  std::string unit_cells(const Unit& u, CellOf&& cell_of) const {
    std::string text;
    for (std::size_t c = u.first; c < u.first + u.count; ++c) {
      if (c > u.first) text += std::string(g_.gap, ' ');
      const Cell cell = cell_of(c);
      text += style_.paint(g_.left[c] ? pad_right(cell.text, col_width_[c]) : pad_left(cell.text, col_width_[c]), cell.tone);
    }
    return pad_right(text, unit_width(u));
  }

  static void push_trimmed(std::vector<std::string>& out, std::string line) {
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out.push_back(std::move(line));
  }

  // (4) One chunk: "columns a-b of n" when the columns wrap, group names, headers, rows.
  void write_chunk(std::vector<std::string>& out, std::size_t k) const {
    const Chunk& chunk = chunks_[k];
    const bool last = k + 1 == chunks_.size();
    const std::string blank_label(lead_, ' ');
    if (k > 0) out.emplace_back();
    if (chunks_.size() > 1 && (!barred_ || any_split_) && !chunk.empty()) {
      const std::size_t first = chunk.front().first, end = chunk.back().first + chunk.back().count;
      out.push_back(blank_label + style_.paint(fmt::format("columns {}{}{} of {}", first, style_.text("–"), end - 1,
                                                           g_.columns),
                                               Tone::dim));
    }
    if (barred_)
      out.push_back(blank_label + join_units(chunk, [&](const Unit& u) {
                      return style_.paint(pad_right(u.name, unit_width(u)), Tone::heading);
                    }));
    write_headers(out, chunk, last);
    for (const auto& row : g_.rows) write_row(out, chunk, row, last);
  }

  void write_headers(std::vector<std::string>& out, const Chunk& chunk, bool last) const {
    bool has_headers = !g_.label_header.empty() || (last && !g_.trail_header.empty());
    for (const auto& u : chunk)
      for (std::size_t c = u.first; c < u.first + u.count; ++c) has_headers |= !g_.headers[c].empty();
    if (!has_headers) return;
    std::string line = lead_ > 0 ? paint_span(g_.label_header, style_) + std::string(lead_ - span_width(g_.label_header), ' ')
                                 : std::string();
    line += join_units(chunk, [&](const Unit& u) {
      return unit_cells(u, [&](std::size_t c) { return Cell{g_.headers[c], Tone::heading}; });
    });
    if (last && !g_.trail_header.empty()) line += "  " + paint_span(g_.trail_header, style_);
    push_trimmed(out, std::move(line));
  }

  void write_row(std::vector<std::string>& out, const Chunk& chunk, const Grid::Row& row, bool last) const {
    std::string line = lead_ > 0 ? paint_span(row.label, style_) + std::string(lead_ - span_width(row.label), ' ')
                                 : std::string();
    line += join_units(chunk, [&](const Unit& u) { return unit_cells(u, [&](std::size_t c) { return row.cells[c]; }); });
    if (last && !row.trail.empty()) append_trail(out, line, row.trail);
    push_trimmed(out, std::move(line));
  }

  // The trail after the numbers: on the line when it fits, else wrapped to their right, else below.
  void append_trail(std::vector<std::string>& out, std::string& line, const Span& trail) const {
    const std::size_t line_width = display_width(line);
    if (line_width + 2 + span_width(trail) <= width_) {
      line += "  " + paint_span(trail, style_);
    } else if (line_width + 2 + 20 <= width_) {
      const auto pieces = wrap_span(trail, width_ - line_width - 2);
      const std::string indent(line_width + 2, ' ');
      for (std::size_t p = 0; p < pieces.size(); ++p) {
        if (p == 0) {
          line += "  " + paint_span(pieces[p], style_);
        } else {
          push_trimmed(out, line);
          line = indent + paint_span(pieces[p], style_);
        }
      }
    } else {
      push_trimmed(out, line);
      const std::size_t indent = std::min(lead_ + 2, width_ / 2);
      const auto pieces = wrap_span(trail, width_ - indent);
      for (std::size_t p = 0; p + 1 < pieces.size(); ++p)
        out.push_back(std::string(indent, ' ') + paint_span(pieces[p], style_));
      line = std::string(indent, ' ') + paint_span(pieces.back(), style_);
    }
  }

  const Grid::Parts& g_;
  const Style& style_;
  std::size_t width_;
  static constexpr std::size_t kShortTrail = 12;  // a shape such as "[1, 4, 3]"; longer trails may wrap
  std::size_t label_width_ = 0, lead_ = 0, budget_ = 0, unit_sep_ = 0, pack_budget_ = 0;
  bool barred_ = false, any_split_ = false;
  std::vector<std::size_t> col_width_;
  std::vector<Unit> pieces_;
  std::vector<Chunk> chunks_;
};

}  // namespace

std::vector<std::string> Grid::render(const Style& style, std::size_t width) const {
  return GridLayout(parts_, style, width).lines();
}

}  // namespace maskviz
