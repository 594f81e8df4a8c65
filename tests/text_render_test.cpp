// The text that learners read: snapshots of `run` and `diff` for every bundled scenario, compared byte
// for byte (regenerate on purpose with scripts/update-snapshots.sh), the width limit, and the teaching
// points checked against the numbers the engine computes.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "record_access.h"
#include "cli_run.h"
#include "engine/engine.h"
#include "scenario/scenario.h"
#include "test_names.h"

namespace maskviz {
namespace {

namespace fs = std::filesystem;
using testing::run_cli;

constexpr const char* kSnapshotWidth = "100";  // keep in step with scripts/update-snapshots.sh

struct Bundled {
  std::string path;      // relative to the repository root, as the script passes it
  std::string snapshot;  // tests/snapshots/<snapshot>.run.txt and .diff.txt
};

void PrintTo(const Bundled& b, std::ostream* os) { *os << b.path; }

// scenarios/NAME.json -> NAME; tests/golden/NAME.scenario.json -> golden-NAME (the two sets may share names).
std::vector<Bundled> bundled_scenarios() {
  std::vector<Bundled> all;
  const fs::path root(MASKVIZ_SOURCE_DIR);
  if (fs::exists(root / "scenarios"))
    for (const auto& e : fs::directory_iterator(root / "scenarios"))
      if (e.path().extension() == ".json")
        all.push_back({"scenarios/" + e.path().filename().string(), e.path().stem().string()});
  for (const auto& e : fs::directory_iterator(root / "tests" / "golden")) {
    const std::string file = e.path().filename().string();
    const std::string suffix = ".scenario.json";
    if (file.size() > suffix.size() && file.ends_with(suffix))
      all.push_back({"tests/golden/" + file, "golden-" + file.substr(0, file.size() - suffix.size())});
  }
  std::sort(all.begin(), all.end(), [](const Bundled& a, const Bundled& b) { return a.path < b.path; });
  return all;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::size_t columns(const std::string& line) {
  std::size_t n = 0;
  for (unsigned char c : line) n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

std::string snapshot_mismatch(const std::string& want, const std::string& got) {
  const auto a = lines_of(want), b = lines_of(got);
  std::size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  return fmt::format("first difference at line {}:\n  snapshot: {}\n  now:      {}\n", i + 1,
                     i < a.size() ? a[i] : "(end)", i < b.size() ? b[i] : "(end)");
}

class Snapshot : public ::testing::TestWithParam<Bundled> {};

TEST_P(Snapshot, RunAndDiffMatchByteForByte) {
  const Bundled& s = GetParam();
  for (const std::string command : {"run", "diff"}) {
    SCOPED_TRACE(command);
    const fs::path file = fs::path(MASKVIZ_TEST_DIR) / "snapshots" / (s.snapshot + "." + command + ".txt");
    ASSERT_TRUE(fs::exists(file)) << s.path << " has no snapshot " << file.filename()
                                  << ": run scripts/update-snapshots.sh and review the new file";
    const auto r = run_cli({command, s.path, "--width", kSnapshotWidth});
    ASSERT_LE(r.status, 1) << r.err;
    EXPECT_EQ(r.err, "");
    const std::string want = read_file(file);
    EXPECT_TRUE(r.out == want) << s.path << ": `maskviz " << command << "` no longer prints "
                               << file.filename() << "; if the change is meant, run scripts/update-snapshots.sh "
                               << "and review the diff.\n" << snapshot_mismatch(want, r.out);
  }
}

INSTANTIATE_TEST_SUITE_P(Bundled, Snapshot, ::testing::ValuesIn(bundled_scenarios()),
                         [](const ::testing::TestParamInfo<Bundled>& info) {
                           return gtest_name(info.param.snapshot);
                         });

TEST(Snapshots, EverySnapshotBelongsToABundledScenario) {
  std::set<std::string> known;
  for (const auto& s : bundled_scenarios()) known.insert(s.snapshot);
  for (const auto& e : fs::directory_iterator(fs::path(MASKVIZ_TEST_DIR) / "snapshots")) {
    std::string name = e.path().filename().string();
    for (const std::string suffix : {".run.txt", ".diff.txt"})
      if (name.ends_with(suffix)) name.resize(name.size() - suffix.size());
    EXPECT_TRUE(known.count(name)) << e.path().filename() << " has no scenario: run scripts/update-snapshots.sh";
  }
}

// Every line fits the width asked for, at the narrow end of terminals and a wide one.
class Width : public ::testing::TestWithParam<Bundled> {};

TEST_P(Width, EveryLineFitsTheWidth) {
  for (const std::string width : {"80", "120"})
    for (const std::string command : {"run", "diff"}) {
      const auto r = run_cli({command, GetParam().path, "--width", width});
      ASSERT_LE(r.status, 1) << r.err;
      const auto lines = lines_of(r.out);
      for (std::size_t i = 0; i < lines.size(); ++i)
        EXPECT_LE(columns(lines[i]), std::stoul(width)) << command << " --width " << width << " line " << i + 1 << ": "
                                                        << lines[i];
    }
}

INSTANTIATE_TEST_SUITE_P(Bundled, Width, ::testing::ValuesIn(bundled_scenarios()),
                         [](const ::testing::TestParamInfo<Bundled>& info) {
                           return gtest_name(info.param.snapshot);
                         });

// --- The teaching points, against what the engine computed ---

const std::string kLstm = "tests/golden/lstm-carry-over.scenario.json";

Trace trace_of(const std::string& relative, std::unique_ptr<Scenario>& keep) {
  const std::string path = std::string(MASKVIZ_SOURCE_DIR) + "/" + relative;
  keep = std::make_unique<Scenario>(load_scenario(read_file(path), path));
  return run_both(*keep, Detail::full);
}

// The text of one step's box, "┌─ b=B t=T ..." up to its "└─" line.
std::string step_box(const std::string& text, std::size_t b, std::size_t t, std::size_t nth = 0) {
  const std::string head = fmt::format("┌─ b={} t={} ", b, t);
  std::size_t at = 0;
  for (std::size_t i = 0; i <= nth; ++i) {
    at = text.find(head, i == 0 ? 0 : at + 1);
    if (at == std::string::npos) return "";
  }
  const std::size_t end = text.find("└─", at);
  return text.substr(at, text.find('\n', end) - at);
}

std::string fixed(float v) { return fmt::format("{:.4f}", v); }

TEST(TextRun, AMaskedLstmStepIsComputedDiscardedAndCarriedOver) {
  std::unique_ptr<Scenario> scenario;
  const Trace trace = trace_of(kLstm, scenario);
  const LayerRecord& lstm = trace.masked.layers[1];
  const auto r = run_cli({"run", kLstm, "--mode", "masked"});
  ASSERT_EQ(r.status, 0) << r.err;
  for (const StepRecord& step : steps_of(lstm)) {
    const std::string box = step_box(r.out, step.batch, step.t);
    ASSERT_FALSE(box.empty()) << "no box for t=" << step.t;
    // The candidate the cell computed is printed, at masked steps too.
    for (float v : step.candidate_states[0].value.values) EXPECT_NE(box.find(fixed(v)), std::string::npos) << box;
    if (step.masked) {
      EXPECT_NE(box.find("□ masked"), std::string::npos);
      EXPECT_NE(box.find("discarded"), std::string::npos) << box;
      EXPECT_NE(box.find(fmt::format("carried over from t={}", step.t - 1)), std::string::npos) << box;
      // The kept h is the previous step's kept h, and the box prints it.
      const StepRecord& before = steps_of(lstm)[step.k - 1];
      EXPECT_EQ(step.kept_states[0].value.values, before.kept_states[0].value.values);
      EXPECT_NE(box.find(fixed(before.kept_states[0].value.values[0])), std::string::npos);
    } else {
      EXPECT_NE(box.find("■ valid"), std::string::npos);
      EXPECT_EQ(box.find("discarded"), std::string::npos) << box;
      EXPECT_EQ(box.find("carried over"), std::string::npos) << box;
    }
  }
}

TEST(TextRun, TheLossIsSpelledOutWithTheValidTermsOnly) {
  std::unique_ptr<Scenario> scenario;
  const Trace trace = trace_of(kLstm, scenario);
  const LossRecord& masked = *trace.masked.loss;
  const LossRecord& unmasked = *trace.unmasked.loss;
  const auto r = run_cli({"run", kLstm});
  ASSERT_EQ(r.status, 0);
  // tokens [1, 0, 2, 0]: terms 0 and 2 count, each with weight N/V = 4/2 = 2.
  const std::string masked_sum = fmt::format("({} + {}) / 2 = {}", fixed(masked.terms[0]), fixed(masked.terms[2]),
                                             fixed(masked.value));
  EXPECT_NE(r.out.find(masked_sum), std::string::npos) << masked_sum << "\n" << r.out;
  EXPECT_NE(r.out.find("N = 4 terms, V = 2 valid: a valid term weighs N/V = 4/2 = 2"), std::string::npos);
  const std::string unmasked_sum = fmt::format("({} + {} + {} + {}) / 4 = {}", fixed(unmasked.terms[0]), fixed(unmasked.terms[1]),
                                               fixed(unmasked.terms[2]), fixed(unmasked.terms[3]), fixed(unmasked.value));
  EXPECT_NE(r.out.find(unmasked_sum), std::string::npos) << unmasked_sum;
  // Beside the masked value, the unmasked one.
  EXPECT_NE(r.out.find("unmasked run: " + fixed(unmasked.value)), std::string::npos);
  const auto lines = lines_of(r.out);
  EXPECT_EQ(std::count_if(lines.begin(), lines.end(),
                          [](const std::string& l) { return l.find("masked: left out") != std::string::npos; }),
            2);
}

TEST(TextRun, TokenZeroIsLookedUpAndDenseComputesMaskedRows) {
  const std::string path = "tests/golden/batch-of-three.scenario.json";
  std::unique_ptr<Scenario> scenario;
  const Trace trace = trace_of(path, scenario);
  std::size_t zeros = 0;
  for (float token : scenario->input.values) zeros += token == 0.0f ? 1 : 0;
  const auto r = run_cli({"run", path, "--mode", "masked"});
  const auto lines = lines_of(r.out);
  auto count = [&](const std::string& what) {
    return static_cast<std::size_t>(
        std::count_if(lines.begin(), lines.end(), [&](const std::string& l) { return l.find(what) != std::string::npos; }));
  };
  ASSERT_GT(zeros, 0u);
  EXPECT_EQ(count("masked, yet looked up: a real vector"), zeros);
  EXPECT_EQ(count("masked, computed anyway"), zeros) << "Dense computes every padded row";
  // The row of token 0 is printed with its real values.
  const Tensor& table = trace.masked.layers[0].weights[0].value;
  EXPECT_NE(r.out.find(fixed(table.values[0])), std::string::npos);
}

TEST(TextRun, TheMaskIsDrawnPerSequence) {
  const auto r = run_cli({"run", "tests/golden/batch-of-three.scenario.json", "--mode", "masked", "--layer", "embedding"});
  std::unique_ptr<Scenario> scenario;
  const Trace trace = trace_of("tests/golden/batch-of-three.scenario.json", scenario);
  const Mask& mask = *trace.masked.layers[0].output_mask;
  for (std::size_t b = 0; b < mask.batch; ++b) {
    std::string row = fmt::format("b={}  ", b);
    for (std::size_t t = 0; t < mask.time; ++t) row += std::string(t ? " " : "") + (mask.at(b, t) ? "■" : "□");
    EXPECT_NE(r.out.find(row + "\n"), std::string::npos) << row;
  }
}

TEST(TextDiff, TheSideBySideTableListsExactlyTheDifferingSteps) {
  std::unique_ptr<Scenario> scenario;
  const Trace trace = trace_of(kLstm, scenario);
  const auto r = run_cli({"diff", kLstm, "--layer", "lstm"});
  ASSERT_EQ(r.status, 1);
  const Tensor& m = trace.masked.layers[1].output;
  const Tensor& u = trace.unmasked.layers[1].output;
  const std::size_t T = m.dim(1), H = m.dim(2);
  for (std::size_t t = 0; t < T; ++t) {
    const bool differs = !std::equal(m.row(t), m.row(t) + H, u.row(t));
    const std::string row = fmt::format("    b=0 t={} ", t);
    EXPECT_EQ(r.out.find(row) != std::string::npos, differs) << row;
  }
  EXPECT_NE(r.out.find("b=0: the runs part at t=1 (a masked step □: a difference there is by design)"),
            std::string::npos)
      << r.out;
}

}  // namespace
}  // namespace maskviz
