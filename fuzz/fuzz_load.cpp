// libFuzzer target: any bytes through load_scenario, and every scenario that loads through both runs.
// A ScenarioError is the expected answer to bad input; any other exception, a crash, a leak or a
// sanitizer report is a finding. Build and run: fuzz/run.sh (see fuzz/README.md).
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/errors.h"
#include "engine/engine.h"
#include "scenario/scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  maskviz::LoadOptions options;
  // A small limit keeps every accepted scenario fast to run (a drawn orthogonal kernel costs O(n·k²)),
  // and the limit itself is part of what is tested.
  options.max_memory_bytes = std::size_t{2} << 20;
  options.detail = maskviz::Detail::outputs;
  try {
    const maskviz::Scenario scenario = maskviz::load_scenario(text, "fuzz", options);
    maskviz::run_both(scenario, maskviz::Detail::outputs);  // must not crash, whatever it records
  } catch (const maskviz::ScenarioError&) {
    // refused before anything ran: the answer bad input should get
  }
  return 0;
}
