// Aligned columns that fit a width: the one layout under every matrix, equation block and table.
//
//   label        group a                 group b         trail
//   x_t · W      0.1234 -0.2345  0.3456 │ 0.4567 ...     [12]
//
// Columns are right-aligned (numbers) unless set otherwise. When the columns do not fit, they wrap in
// chunks, whole groups first (an LSTM's gate blocks stay together), each chunk under its own headers
// and with the labels repeated, the way numpy prints a wide array. The trail (a shape, a marker such
// as "discarded") follows the last chunk and wraps under itself when long.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "render/text_style.h"

namespace maskviz {

struct Cell {
  std::string text;
  Tone tone = Tone::plain;
};

// Cells written one after another: a label such as "t=1 □" whose glyph has its own colour.
using Span = std::vector<Cell>;

std::size_t span_width(const Span& span);
std::string paint_span(const Span& span, const Style& style);
// Words of `span` in lines of at most `width` columns, each word keeping its tones.
std::vector<Span> wrap_span(const Span& span, std::size_t width);

struct ColumnGroup {
  std::string name;
  std::size_t first = 0;
  std::size_t count = 0;
};

class Grid {
 public:
  explicit Grid(std::size_t columns) { parts_.columns = columns; parts_.headers.resize(columns); parts_.left.assign(columns, false); }

  void set_label_header(Span header) { parts_.label_header = std::move(header); }
  void set_trail_header(Span header) { parts_.trail_header = std::move(header); }
  void set_groups(std::vector<ColumnGroup> groups) { parts_.groups = std::move(groups); }
  void set_header(std::size_t column, std::string header) { parts_.headers.at(column) = std::move(header); }
  void set_left_aligned(std::size_t column) { parts_.left.at(column) = true; }
  // Spaces between columns of one group (1 by default); groups are always set apart by a bar.
  void set_gap(std::size_t gap) { parts_.gap = gap; }
  // By default every right-aligned column takes the width of the widest, as numpy aligns a matrix;
  // tables of different quantities turn that off.
  void set_uniform(bool uniform) { parts_.uniform = uniform; }
  // Keep short trails (a row's length, "[12]") beside the last line of blocks: when they would not fit,
  // the blocks wrap into one more line instead. Off by default: a side-by-side table (before │ after)
  // would rather keep its columns together and let a trail wrap.
  void set_trails_beside(bool beside) { parts_.trails_beside = beside; }

  // `cells` may be shorter than the column count: the rest stay empty.
  void add_row(Span label, std::vector<Cell> cells, Span trail = {});
  bool empty() const { return parts_.rows.empty(); }

  std::vector<std::string> render(const Style& style, std::size_t width) const;

  struct Row {
    Span label;
    std::vector<Cell> cells;
    Span trail;
  };
  // What the table holds; the layout (text_grid.cpp) reads it.
  struct Parts {
    std::size_t columns = 0;
    std::vector<std::string> headers;
    std::vector<bool> left;
    std::vector<ColumnGroup> groups;
    Span label_header, trail_header;
    std::size_t gap = 1;
    bool uniform = true;
    bool trails_beside = false;
    std::vector<Row> rows;
  };

 private:
  Parts parts_;
};

}  // namespace maskviz
