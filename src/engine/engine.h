// Runs a scenario: the masked run as written, the unmasked run with every mask source switched off.
#pragma once

#include "engine/record.h"
#include "scenario/scenario.h"

namespace maskviz {

RunRecord run_model(const Scenario& scenario, RunMode mode, Detail detail);

struct Trace {
  const Scenario* scenario = nullptr;
  Detail detail = Detail::full;
  RunRecord masked;
  RunRecord unmasked;
};

Trace run_both(const Scenario& scenario, Detail detail);

}  // namespace maskviz
