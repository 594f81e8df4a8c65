// `maskviz grad` as a learner runs it: snapshots of every bundled scenario with a loss, compared byte for
// byte (regenerate on purpose with scripts/update-grad-snapshots.sh), the width limit, the one line for a
// scenario without a loss, and bad input refused like every other command.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <fstream>
#include <sstream>

#include "cli_run.h"
#include "test_names.h"

namespace maskviz {
namespace {

namespace fs = std::filesystem;
using testing::run_cli;

constexpr const char* kGradSnapshotWidth = "100";  // keep in step with scripts/update-grad-snapshots.sh

struct GradCase {
  std::string path;      // relative to the repository root
  std::string snapshot;  // tests/snapshots-grad/<snapshot>.grad.txt
};
void PrintTo(const GradCase& c, std::ostream* os) { *os << c.path; }

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<GradCase> grad_cases() {
  std::vector<GradCase> all;
  const fs::path root(MASKVIZ_SOURCE_DIR);
  for (const auto& e : fs::directory_iterator(root / "scenarios"))
    if (e.path().extension() == ".json" && read_file(e.path()).find("\"loss\"") != std::string::npos)
      all.push_back({"scenarios/" + e.path().filename().string(), e.path().stem().string()});
  for (const auto& e : fs::directory_iterator(root / "tests" / "golden-grad")) {
    const std::string file = e.path().filename().string();
    if (file.ends_with(".scenario.json"))
      all.push_back({"tests/golden-grad/" + file, "golden-grad-" + file.substr(0, file.size() - 14)});
  }
  for (const auto& e : fs::directory_iterator(root / "tests" / "scenarios")) {
    const std::string file = e.path().filename().string();
    if (file.ends_with(".scenario.json") && read_file(e.path()).find("\"loss\"") != std::string::npos)
      all.push_back({"tests/scenarios/" + file, "case-" + file.substr(0, file.size() - 14)});
  }
  std::sort(all.begin(), all.end(), [](const GradCase& a, const GradCase& b) { return a.path < b.path; });
  return all;
}

class GradText : public ::testing::TestWithParam<GradCase> {};

TEST_P(GradText, MatchesItsSnapshotByteForByte) {
  const GradCase& c = GetParam();
  const fs::path file = fs::path(MASKVIZ_TEST_DIR) / "snapshots-grad" / (c.snapshot + ".grad.txt");
  ASSERT_TRUE(fs::exists(file)) << file << " is missing: run scripts/update-grad-snapshots.sh and review it";
  const auto r = run_cli(std::vector<std::string>{"grad", c.path, "--width", kGradSnapshotWidth});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, read_file(file)) << "`maskviz grad " << c.path << "` no longer prints " << file.filename()
                                    << "; if the change is meant, run scripts/update-grad-snapshots.sh";
}

TEST_P(GradText, EveryLineFitsTheWidth) {
  for (const std::string width : {"80", "120"}) {
    const auto r = run_cli(std::vector<std::string>{"grad", GetParam().path, "--width", width});
    ASSERT_EQ(r.status, 0) << r.err;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
      std::size_t columns = 0;
      for (unsigned char ch : line) columns += (ch & 0xC0) != 0x80 ? 1 : 0;
      EXPECT_LE(columns, std::stoul(width)) << line;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Bundled, GradText, ::testing::ValuesIn(grad_cases()),
                         [](const auto& info) { return gtest_name(info.param.snapshot); });

TEST(GradCommand, EverySnapshotBelongsToAScenario) {
  std::set<std::string> known;
  for (const auto& c : grad_cases()) known.insert(c.snapshot + ".grad.txt");
  for (const auto& e : fs::directory_iterator(fs::path(MASKVIZ_TEST_DIR) / "snapshots-grad"))
    EXPECT_TRUE(known.count(e.path().filename().string())) << e.path().filename();
}

TEST(GradCommand, WithoutALossSaysSoInOneLineAndSucceeds) {
  const auto r = run_cli(std::vector<std::string>{"grad", "scenarios/02-forum-lstm.json"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  EXPECT_NE(r.out.find("no loss"), std::string::npos);
  EXPECT_EQ(r.err, "");
}

// y = x·W = 1 + 2 = 3 against target 0: dL/dW = 2·3·x = [6, 12]. With learning_rate 1e-6 each weight
// moves by about 6e-6 and 1.2e-5, below the 4 printed decimals, so before and after both print 1.0000:
// the row must still say that it moved, and by how much, in digits that show it.
TEST(GradCommand, AMoveBelowThePrintedDigitsSaysHowLargeItIs) {
  testing::CliRun run;
  run.args = {"grad", "-", "--width", "100"};
  run.env = {{"NO_COLOR", "1"}};
  run.stdin_text = R"({"input": {"values": [[[1, 2]]]}, "target": [[[0]]], "loss": "mse",
      "train": {"optimizer": "sgd", "learning_rate": 1e-6},
      "layers": [{"type": "Dense", "units": 1, "use_bias": false, "weights": [[[1], [1]]]}]})";
  const auto r = run_cli(run);
  ASSERT_EQ(r.status, 0) << r.err;
  const std::size_t step = r.out.find("one training step");
  ASSERT_NE(step, std::string::npos) << r.out;
  const std::string train = r.out.substr(step);
  // 1 - 6e-6 rounds to the float 1 - 101·2^-24, a change of 6.020e-06; 1 - 1.2e-5 to 1 - 201·2^-24.
  EXPECT_NE(train.find("row 0  1.0000 │ 1.0000  moved, by up to 6.020e-06"), std::string::npos) << train;
  EXPECT_NE(train.find("row 1  1.0000 │ 1.0000  moved, by up to 1.198e-05"), std::string::npos) << train;
  EXPECT_NE(train.find("kernel [2, 1]: 0 of 2 rows unchanged"), std::string::npos) << train;
}

TEST(GradCommand, ABadTrainBlockIsRefusedWithOneErrorLine) {
  testing::CliRun run{{"grad", "-"}};
  run.stdin_text = R"({"input": {"tokens": [[1, 0]]}, "layers": [{"type": "Embedding", "input_dim": 2,
    "output_dim": 1, "mask_zero": true}], "target": [[[1], [0]]], "loss": "mse",
    "train": {"optimizer": "sgd", "learning_rate": -1}})";
  const auto r = run_cli(run);
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("error: <stdin>: /train/learning_rate:"), std::string::npos) << r.err;
}

TEST(GradCommand, SelectorsWork) {
  const auto r = run_cli(std::vector<std::string>{"grad", "scenarios/15a-forum-lstm-gradients.json", "--layer", "lstm",
                                                   "--mode", "masked", "--steps", "1:1"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("b=0 t=1"), std::string::npos);
  EXPECT_EQ(r.out.find("b=0 t=0"), std::string::npos);
  EXPECT_EQ(r.out.find("unmasked run ·"), std::string::npos);
  EXPECT_EQ(r.out.find("dense (Dense)"), std::string::npos);
  EXPECT_EQ(run_cli(std::vector<std::string>{"grad", "scenarios/15a-forum-lstm-gradients.json", "--layer", "nosuch"}).status, 2);
}

}  // namespace
}  // namespace maskviz
