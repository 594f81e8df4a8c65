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
#include "analysis/mask_words.h"
#include "cli_run.h"
#include "engine/engine.h"
#include "render/text_format.h"
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

// scenarios/NAME.json -> NAME; tests/golden/NAME.scenario.json -> golden-NAME (the two sets may share names);
// tests/scenarios/NAME.scenario.json -> case-NAME.
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
  // Scenarios without a description, as a cold reader's own model would be.
  for (const auto& e : fs::directory_iterator(root / "tests" / "scenarios")) {
    const std::string file = e.path().filename().string();
    const std::string suffix = ".scenario.json";
    if (file.size() > suffix.size() && file.ends_with(suffix))
      all.push_back({"tests/scenarios/" + file, "case-" + file.substr(0, file.size() - suffix.size())});
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

constexpr const char* kUnwrapped = "400";  // wide enough that no sentence below is wrapped

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Zero is printed as zero: -0.0 and a negative that rounds to zero carry no sign at the printed precision.
TEST(TextFormat, ZeroHasNoSign) {
  EXPECT_EQ(number(-0.0f, 4), "0.0000");
  EXPECT_EQ(number(-0.00004f, 4), "0.0000");
  EXPECT_EQ(number(-0.4f, 0), "0");
  EXPECT_EQ(number(-0.00006f, 4), "-0.0001") << "a value that shows a digit keeps its sign";
  EXPECT_EQ(number(0.0f, 2), "0.00");
  EXPECT_EQ(number(-1.25f, 2), "-1.25");
  EXPECT_EQ(scalar(-0.00002f, 4), "-2.000e-05") << "a single quantity still shows its size";
  for (const auto& s : bundled_scenarios())
    for (const std::string command : {"run", "diff"}) {
      const auto r = run_cli({command, s.path});
      EXPECT_EQ(r.out.find("-0.0000"), std::string::npos) << command << " " << s.path;
    }
}

// Leading padding: the step a masked step repeats may itself hold only the initial state.
TEST(TextRun, LeadingPaddingIsStillTheInitialState) {
  std::vector<StepRecord> steps(4);
  for (std::size_t t = 0; t < 4; ++t) {
    steps[t].t = t;
    steps[t].carried_over = t < 2;  // [□ □ ■ □]
    steps[t].masked = t != 2;
  }
  EXPECT_EQ(carried_from_words(steps, 0, true), "the initial state (zeros)");
  EXPECT_EQ(carried_from_words(steps, 1, true), "still the initial state (zeros)");
  EXPECT_EQ(carried_from_words(steps, 1, false), "still the initial output (zeros)");
  EXPECT_EQ(carried_from_words(steps, 3, true), "carried over from t=2");

  const auto r = run_cli({"run", "scenarios/07b-pre-padding.json", "--mode", "masked"});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string first = step_box(r.out, 0, 0), second = step_box(r.out, 0, 1);
  EXPECT_NE(first.find("← the initial state (zeros)"), std::string::npos) << first;
  EXPECT_NE(second.find("kept h  0.0000 0.0000 0.0000  [3]  ← still the initial state (zeros)"), std::string::npos)
      << second;
  EXPECT_NE(second.find("← still the initial output (zeros)"), std::string::npos) << second;
  EXPECT_EQ(second.find("carried over from t=0"), std::string::npos) << second;
}

// The unmasked run prints the value of mask_zero it ran with.
TEST(TextRun, TheUnmaskedRunShowsMaskZeroInForce) {
  const auto r = run_cli({"run", "scenarios/02-forum-lstm.json", "--width", kUnwrapped});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::size_t unmasked = r.out.find("══ unmasked run");
  ASSERT_NE(unmasked, std::string::npos);
  EXPECT_NE(r.out.substr(0, unmasked).find("mask_zero=true"), std::string::npos);
  const std::string after = r.out.substr(unmasked);
  EXPECT_NE(after.find("mask_zero=false (true in the scenario; switched off in this run)"), std::string::npos) << after;
  EXPECT_EQ(after.find("mask_zero=true"), std::string::npos) << after;
}

// Explained once where they first appear: the bracketed row lengths, and whether masking is dropout.
// And the forward numbers' "masking changes no weight" points once to the backward pass.
TEST(TextRun, ExplanationsAppearOnceWhereTheQuestionArises) {
  for (const std::string command : {"run", "diff"}) {
    SCOPED_TRACE(command);
    const auto lstm = run_cli({command, "scenarios/02-forum-lstm.json", "--width", kUnwrapped});
    ASSERT_EQ(command == "run" ? 0 : 1, lstm.status) << lstm.err;
    EXPECT_EQ(occurrences(lstm.out, "Is this dropout? No"), 1u);
    EXPECT_EQ(occurrences(lstm.out, "masking changes no weight."), 1u);
    EXPECT_EQ(occurrences(lstm.out, "`maskviz grad scenarios/02-forum-lstm.json`"), 1u) << lstm.out;
    EXPECT_NE(lstm.out.find("add a target and a loss, and `maskviz grad"), std::string::npos) << "02 has no loss";
    const auto loss = run_cli({command, "scenarios/15a-forum-lstm-gradients.json", "--width", kUnwrapped});
    EXPECT_EQ(occurrences(loss.out, "For training, `maskviz grad scenarios/15a-forum-lstm-gradients.json` shows"), 1u)
        << loss.out;
  }
  const auto run = run_cli({"run", "scenarios/02-forum-lstm.json", "--width", kUnwrapped});
  EXPECT_EQ(occurrences(run.out, "[n] ending a row"), 1u);
  EXPECT_LT(run.out.find("[n] ending a row"), run.out.find("[12]\n")) << "explained before the first row ending in [12]";
  EXPECT_NE(run.out.find("a gate row [12] the 4 gate blocks i, f, c~, o of 3 units each"), std::string::npos);
  // The Flatten model drops the mask: no layer reads it, so the story makes no claim about weights.
  const auto flatten = run_cli({"run", "scenarios/01-forum-flatten.json", "--width", kUnwrapped});
  EXPECT_EQ(occurrences(flatten.out, "Is this dropout? No"), 1u);
  EXPECT_EQ(flatten.out.find("maskviz grad"), std::string::npos);
}

// A GRU's step table adds up in every column: the reset product is a row of its own (both variants), and
// the operand it multiplies is printed beneath, so r ⊙ h_h can be multiplied out by hand.
TEST(TextRun, GruResetProductIsARowOfItsOwn) {
  const auto after = run_cli({"run", "scenarios/10a-gru-reset-after.json", "--mode", "masked", "--width", kUnwrapped});
  const std::string box = step_box(after.out, 0, 1);
  EXPECT_NE(box.find("h_{t-1} · U[:, :2u]"), std::string::npos) << box;
  EXPECT_NE(box.find("r ⊙ h_h "), std::string::npos) << box;
  EXPECT_NE(box.find("where h_h = h_{t-1} · U[:, 2u:] + b_h[2u:]"), std::string::npos) << box;
  const auto before = run_cli({"run", "scenarios/10b-gru-reset-before.json", "--mode", "masked", "--width", kUnwrapped});
  const std::string box_b = step_box(before.out, 0, 1);
  EXPECT_NE(box_b.find("(r ⊙ h_{t-1}) · U[:, 2u:]"), std::string::npos) << box_b;
  EXPECT_NE(box_b.find("where r ⊙ h_{t-1} "), std::string::npos) << box_b;
}

// A scenario without a description, as a cold reader met it: Masking over zero feature rows, a GRU with
// biases, a Dense head and mse, padded at the front of one sequence and at the back of the other.
TEST(TextRun, AScenarioWithoutADescriptionReadsWell) {
  const std::string path = "tests/scenarios/masking-gru-dense.scenario.json";
  const auto run = run_cli({"run", path, "--width", kUnwrapped});
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out.find("-0.0000"), std::string::npos);
  EXPECT_EQ(occurrences(run.out, "Is this dropout? No"), 1u);
  EXPECT_NE(run.out.find("only masking itself sets the masked steps to 0"), std::string::npos);
  EXPECT_EQ(occurrences(run.out, "[n] ending a row"), 1u);
  EXPECT_EQ(occurrences(run.out, "`maskviz grad " + path + "`"), 1u) << "it has a loss: no 'add a loss'";
  EXPECT_EQ(run.out.find("add a target and a loss"), std::string::npos);
  const std::string pre = step_box(run.out, 0, 1);
  EXPECT_NE(pre.find("← still the initial state (zeros)"), std::string::npos) << pre;
  const std::string post = step_box(run.out, 1, 3);
  EXPECT_NE(post.find("← carried over from t=2"), std::string::npos) << post;
  EXPECT_NE(step_box(run.out, 0, 2).find("r ⊙ h_h"), std::string::npos);
  const auto diff = run_cli({"diff", path, "--width", kUnwrapped});
  EXPECT_EQ(diff.status, 1) << diff.err;
  EXPECT_EQ(diff.out.find("-0.0000"), std::string::npos);
  const auto grad = run_cli({"grad", path, "--width", kUnwrapped});
  EXPECT_EQ(grad.status, 0) << grad.err;
  EXPECT_EQ(grad.out.find("-0.0000"), std::string::npos);
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
