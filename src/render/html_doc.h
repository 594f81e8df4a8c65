// The pieces every part of the page is written with: escaped text, numbers as the trace exports them,
// the colour scales and the masked-step hatching. One place, so every figure reads the same way.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace maskviz::html {

// Text for an HTML element or a quoted attribute: & < > " escaped.
std::string escape(std::string_view text);

// A float32 exactly as `maskviz export` writes it (shortest text that reads back as the same float32),
// so the value a reader hovers is the value a notebook reads. NaN and infinities as JavaScript spells them.
std::string exact(float value);

// Two decimals for labels inside a figure ("0.49"); the exact value is in the cell's data-v.
std::string short_number(float value);

// Colour of `value` on a sequential scale from `lo` to `hi` (viridis: dark to light, so it reads in grey
// and for every common colour-vision deficiency). NaN is drawn as a mid grey.
std::string value_colour(float value, float lo, float hi);
// Colour of a difference |a - b| on a white-to-dark scale up to `max_gap`: identical cells stay white.
std::string gap_colour(float gap, float max_gap);

// Colour of a signed value (a gradient) on a diverging scale up to `max_abs`: exactly 0 is white, any
// non-zero value at least a light tint; negative blue, positive orange-brown (Okabe–Ito hues), both
// darker with |value|, so "exactly 0" reads in grey too. NaN is a mid grey.
std::string signed_colour(float value, float max_abs);

// The <defs> with the hatching of masked steps (diagonal lines, visible without colour), written once
// at the top of the page and referred to as url(#masked-hatch) by every figure.
std::string shared_svg_defs();

}  // namespace maskviz::html
