// What each layer does with the mask, in the words every renderer uses (text tables, the page's model
// strip): one source, so the text and the page never say it two ways.
#pragma once

#include <string>

#include "engine/record.h"

namespace maskviz {

// "creates it (token != 0)", "reads it and passes it on", "drops it", ...
std::string mask_action_words(const LayerRecord& layer);
// The short form for tables: "creates", "reads, passes on", "passes on", "reads", "drops", "switched off", "-".
std::string mask_action_short(MaskAction action);

}  // namespace maskviz
