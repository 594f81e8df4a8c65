// The visual vocabulary of the text renderers: one place decides which glyphs and colours mean what,
// so `run`, `diff` and `validate` speak the same language.
//
//   ■ / #   a valid step (the mask keeps it)        □ / .   a masked step (padding)
//   discarded      what a cell computed at a masked step and threw away
//   ← carried over a state or output kept from the step before
//
// Colour is emphasis only: every fact is also in the words, so nothing is lost without it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace maskviz {

// What a piece of text means; the style turns it into a colour (or nothing).
enum class Tone { plain, dim, heading, valid, masked, discarded, carried, warning, note, good, bad };

class Style {
 public:
  Style(bool color, bool ascii) : color_(color), ascii_(ascii) {}

  bool ascii() const { return ascii_; }
  bool color() const { return color_; }

  // Wraps `text` in the escape codes of `tone` (nothing without colour). Widths are measured before.
  std::string paint(std::string_view text, Tone tone) const;

  // Record text (notes, gate names, warnings) may hold Unicode; with --ascii it is spelled in ASCII.
  std::string text(std::string_view text) const;

  std::string mask_cell(bool keep) const { return ascii_ ? (keep ? "#" : ".") : (keep ? "■" : "□"); }
  std::string painted_mask_cell(bool keep) const { return paint(mask_cell(keep), keep ? Tone::valid : Tone::masked); }
  const char* rule() const { return ascii_ ? "-" : "─"; }
  const char* double_rule() const { return ascii_ ? "=" : "═"; }
  const char* bar() const { return ascii_ ? "|" : "│"; }
  const char* box_top() const { return ascii_ ? "+-" : "┌─"; }
  const char* box_side() const { return ascii_ ? "| " : "│ "; }
  const char* box_bottom() const { return ascii_ ? "+-" : "└─"; }
  const char* arrow() const { return ascii_ ? "->" : "→"; }
  const char* back_arrow() const { return ascii_ ? "<-" : "←"; }
  const char* dot() const { return ascii_ ? "@" : "·"; }       // matrix product (numpy writes @)
  const char* times() const { return ascii_ ? "*" : "·"; }     // a product of two numbers
  const char* bullet() const { return ascii_ ? "-" : "·"; }    // between the parts of a title
  const char* odot() const { return ascii_ ? "*" : "⊙"; }      // elementwise product
  const char* sep() const { return ascii_ ? " - " : " · "; }   // between items on one line
  const char* delta() const { return ascii_ ? "d" : "Δ"; }
  const char* sigma() const { return ascii_ ? "sum" : "Σ"; }
  const char* check() const { return ascii_ ? "ok" : "✓"; }
  const char* ellipsis() const { return ascii_ ? "..." : "…"; }

 private:
  bool color_;
  bool ascii_;
};

// Columns a string takes on a terminal: code points, not bytes, and escape codes count for nothing.
std::size_t display_width(std::string_view text);

// `text` followed by spaces up to `width` columns (left) or preceded by them (right).
std::string pad_right(std::string_view text, std::size_t width);
std::string pad_left(std::string_view text, std::size_t width);

// Anything still outside ASCII becomes '?', so --ascii output is ASCII whatever a record holds.
std::string force_ascii(std::string_view text);

}  // namespace maskviz
