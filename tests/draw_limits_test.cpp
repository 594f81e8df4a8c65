// Drawing weights: validate draws none (it shows no weight's values), and a draw too large to finish
// within about a second is refused before it starts, with the way out (give the weight, or fewer units).
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <string>

#include "cli_run.h"
#include "core/errors.h"
#include "init/initializers.h"
#include "scenario/scenario.h"

namespace maskviz {
namespace {

using testing::CliResult;
using testing::CliRun;
using testing::run_cli;

std::string gru(std::size_t units) {
  return R"({"input": {"values": [[[1]]]}, "layers": [{"type": "GRU", "units": )" + std::to_string(units) + "}]}";
}

// GRU(2000) needs a [2000, 6000] orthogonal recurrent kernel: 6000 · 2000² = 2.4e10 steps, about 24 s at
// 1e9 steps a second (over a minute on a busy machine) before this limit. Now every command refuses it at once, validate included.
TEST(DrawLimits, AnOrthogonalDrawTooLargeForASecondIsRefusedBeforeItStarts) {
  for (const std::string command : {"validate", "run"}) {
    CliRun run;
    run.args = {command, "-"};
    run.stdin_text = gru(2000);
    const auto start = std::chrono::steady_clock::now();
    const CliResult r = run_cli(run);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(r.status, 2) << command;
    EXPECT_NE(r.err.find("/layers/0/weights: drawing gru's recurrent_kernel [2000, 6000] (orthogonal(gain=1)) "
                         "takes 2.4e+10 steps, about 24.0 s, over the 6e+08 that keep a draw under a second; give "
                         "\"recurrent_kernel\" in \"weights\", or use fewer units"),
              std::string::npos) << r.err;
    EXPECT_LT(seconds, 5.0) << "refused before drawing";
  }
}

TEST(DrawLimits, ValidateDrawsNothingButKnowsEveryShape) {
  LoadOptions options;
  options.draw_weights = false;
  const Scenario s = load_scenario(gru(500), "draw_limits_test", options);
  ASSERT_EQ(s.layers[0]->weights().size(), 3u);
  for (const auto& w : s.layers[0]->weights()) {
    EXPECT_TRUE(w.value.values.empty()) << w.name;
    EXPECT_TRUE(w.drawn);
  }
  EXPECT_EQ(s.layers[0]->weights()[1].value.shape, (Shape{500, 1500}));
  // The params column still counts them: 1·1500 + 500·1500 + 2·1500 = 754,500.
  CliRun run;
  run.args = {"validate", "-"};
  run.env = {{"NO_COLOR", "1"}};
  run.stdin_text = gru(500);
  const CliResult shown = run_cli(run);
  ASSERT_EQ(shown.status, 0) << shown.err;
  EXPECT_NE(shown.out.find("754500"), std::string::npos) << shown.out;
}

#if !defined(__SANITIZE_ADDRESS__)
// The largest orthogonal draw the limit allows takes under a second of CPU time (an optimized build; the
// sanitizers' instrumentation is several times slower and is not what a user runs).
TEST(DrawLimits, TheLargestAllowedDrawTakesUnderASecond) {
  const Shape shape{580, 1740};  // a GRU(580)'s recurrent kernel: 1740 · 580² = 5.85e8, just under the limit
  ASSERT_LE(draw_work(Initializer::orthogonal(), shape), kMaxDrawWork);
  ASSERT_GT(draw_work(Initializer::orthogonal(), Shape{590, 1770}), kMaxDrawWork);
  const std::clock_t start = std::clock();
  const Tensor w = draw_weight(Initializer::orthogonal(), shape, 1);
  const double seconds = static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
  EXPECT_LT(seconds, 1.0);
  EXPECT_EQ(w.size(), 580u * 1740u);
}
#endif

}  // namespace
}  // namespace maskviz
