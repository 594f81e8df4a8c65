// Replays every input in fuzz/regressions/ (each one once broke something: a crash, a sanitizer report,
// an exception other than ScenarioError) through what the fuzz target does: load, then both runs.
// Under the sanitizer build (scripts/test.sh) this is the fuzzer's finding kept as a test for ever.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/errors.h"
#include "engine/engine.h"
#include "scenario/scenario.h"

namespace maskviz {
namespace {

namespace fs = std::filesystem;

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// The fuzz target's body (fuzz/fuzz_load.cpp): refused with a ScenarioError, or loaded and run.
void load_and_run(const std::string& text) {
  LoadOptions options;
  options.max_memory_bytes = std::size_t{2} << 20;
  options.detail = Detail::outputs;
  try {
    const Scenario scenario = load_scenario(text, "fuzz", options);
    run_both(scenario, Detail::outputs);
  } catch (const ScenarioError& e) {
    EXPECT_NE(std::string(e.what()), "");
  }
}

TEST(FuzzRegressions, EveryFindingIsRefusedOrRunsCleanly) {
  const fs::path dir = fs::path(MASKVIZ_SOURCE_DIR) / "fuzz" / "regressions";
  std::size_t count = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    SCOPED_TRACE(entry.path().filename().string());
    EXPECT_NO_THROW(load_and_run(read_bytes(entry.path())));
    ++count;
  }
  EXPECT_GE(count, 4u);
}

TEST(FuzzRegressions, TheSeedCorpusLoadsAndRuns) {
  // The fuzzer starts from these; each must load and run, or the fuzzer starts from nothing.
  std::size_t count = 0;
  for (const char* folder : {"tests/golden", "scenarios"}) {
    const fs::path dir = fs::path(MASKVIZ_SOURCE_DIR) / folder;
    if (!fs::exists(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir)) {
      const std::string name = entry.path().filename().string();
      if (!name.ends_with(".scenario.json") && !(std::string(folder) == "scenarios" && name.ends_with(".json"))) continue;
      SCOPED_TRACE(name);
      const Scenario scenario = load_scenario(read_bytes(entry.path()), name);
      EXPECT_NO_THROW(run_both(scenario, Detail::outputs));
      ++count;
    }
  }
  EXPECT_GE(count, 10u);
}

}  // namespace
}  // namespace maskviz
