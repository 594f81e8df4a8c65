// The page's inline stylesheet and script, kept apart from the code that writes the figures.
#pragma once

namespace maskviz::html {

// Colours: Okabe–Ito orange for carried-over states and warnings, blue for terms that count, viridis in
// the heatmaps; every distinction is also a shape or a pattern (hatching, dashes, glyphs), so it reads
// in grey and in print.
extern const char* const kStyle;

// Hover a cell: its place and its exact value (the exported float32) in a tooltip. Switch runs: show
// both, only the masked or only the unmasked run. Nothing is drawn by the script: every figure is SVG
// in the page, so it is all there with scripts off.
extern const char* const kScript;

}  // namespace maskviz::html
