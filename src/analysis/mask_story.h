// The mask's story in one paragraph of plain words: where it is created, who reads, passes on or drops
// it, and why both runs agree or where and why they part. Read from the masked run's record and the
// comparison, for every renderer (text today; the same sentence for any later one).
#pragma once

#include <string>

#include "analysis/compare.h"

namespace maskviz {

std::string mask_story(const Trace& trace, const RunComparison& comparison);

}  // namespace maskviz
