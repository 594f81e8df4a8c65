// The writer every text renderer shares: lines within the width, nested prefixes (a step's box),
// headings, notes and warnings, the selection (--batch, --steps), and mask rows.
#pragma once

#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "render/render.h"
#include "render/text_grid.h"
#include "render/text_style.h"

namespace maskviz {

class Printer {
 public:
  explicit Printer(const TextOptions& options);

  const TextOptions& options() const { return options_; }
  const Style& style() const { return style_; }
  int precision() const { return options_.precision; }
  // Columns left for text after the current prefixes.
  std::size_t width() const;

  // Every line below goes through here: prefixed, trailing spaces dropped.
  void line(const std::string& painted = "");
  void span(const Span& span);               // wrapped to the width
  void grid(const Grid& grid, std::size_t indent = 0);
  // Whether every line of `grid` fits without wrapping its columns (tables of words check this first).
  bool fits(const Grid& grid, std::size_t indent = 0) const;
  // Wrapped plain-words text; `first` starts the first line, the others are indented to match it.
  void paragraph(std::string_view text, std::string_view first = "", Tone tone = Tone::plain,
                 Tone first_tone = Tone::plain);
  // A line whose spacing means something (an equation): kept as it is when it fits, else wrapped.
  void preformatted(std::string_view text, std::string_view indent);
  void note(std::string_view text, std::size_t indent = 0);     // skipped with --no-notes
  void warning(std::string_view text, std::size_t indent = 0);  // always shown
  void heading(std::string_view title);   // ── title ─────
  void banner(std::string_view title);    // ══ title ═════

  // A box around a block (a recurrent step): the lines between open and close start with "│ ".
  void open_box(const Span& title);
  void close_box(const Span& last);

  // Selection: which sequences and time steps are shown.
  bool shows_batch(std::size_t b) const { return !options_.batch || *options_.batch == b; }
  bool shows_step(std::size_t t) const {
    return !options_.steps || (t >= options_.steps->first && t <= options_.steps->second);
  }
  // One row of cells per shown sequence, "b=0  ■ □ ■ □", wrapped when long.
  // At most `max_rows` sequences; a last line says how many more there are.
  void mask_rows(const Mask& mask, std::size_t indent, std::size_t max_rows = static_cast<std::size_t>(-1));
  Span mask_cells(const Mask& mask, std::size_t b) const;

  // True the first time `what` is asked in this output, false after: for an explanation given once, where
  // the thing it explains first appears (the bracketed row lengths of a step box).
  bool first_time(std::string_view what) { return explained_.insert(std::string(what)).second; }

  // The finished text: ASCII-only with --ascii, whatever the records hold.
  std::string finish() const;

 private:
  TextOptions options_;
  Style style_;
  std::ostringstream out_;
  std::vector<std::pair<std::string, std::size_t>> prefixes_;  // painted text, its width
  std::set<std::string> explained_;  // what first_time() has seen
};

}  // namespace maskviz
