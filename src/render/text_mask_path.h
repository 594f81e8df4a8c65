// The mask's path through the model, in plain words: where it is created, read, passed on or dropped,
// and the one sentence that answers "why is my result (not) the same without the mask?".
#pragma once

#include <string>

#include "analysis/compare.h"
#include "analysis/mask_words.h"
#include "render/text_printer.h"

namespace maskviz {

// The table "layer · type · masked run · unmasked run", the loss's use of the mask, the mask itself,
// and (with `story`) the story.
void print_mask_path(Printer& p, const Trace& trace, const RunComparison& comparison, bool story = true);

}  // namespace maskviz
