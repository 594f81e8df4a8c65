// `maskviz html`: the trace as one self-contained page (inline CSS, SVG figures written here from the
// record and the analysis, a little inline script for hovering and switching runs; no network request).
#pragma once

#include <ostream>
#include <string>

#include "analysis/compare.h"
#include "engine/engine.h"

namespace maskviz {

struct HtmlOptions {
  Selection selection;  // --batch, --steps, --layer: what to draw (the mask path and story cover the whole model)
  std::string no_gradients;  // why the trace has no gradients (said on the page in one line); "" when it has them
};

// The page, byte for byte the same for the same trace and options.
void write_html_page(const Trace& trace, const HtmlOptions& options, std::ostream& out);

}  // namespace maskviz
