// Bad input as a user meets it: every command refuses every malformed scenario the same way, before
// anything runs: exit status 2, nothing on stdout, one line `error: FILE: /pointer: what; expected what`.
// Argument errors too, while --help and --version still exit 0.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli_run.h"

namespace maskviz {
namespace {

using testing::CliResult;
using testing::CliRun;
using testing::run_cli;

const std::vector<std::string> kCommands = {"validate", "run", "diff", "export", "html"};
constexpr const char* kGood = "tests/golden/lstm-carry-over.scenario.json";

CliResult run_stdin(const std::string& command, const std::string& text, std::vector<std::string> extra = {}) {
  CliRun run;
  run.args = {command, "-"};
  run.args.insert(run.args.end(), extra.begin(), extra.end());
  run.env = {{"NO_COLOR", "1"}};
  run.stdin_text = text;
  return run_cli(run);
}

// Exit 2, empty stdout, exactly one line on stderr that starts with `prefix`, and no library's own words.
void expect_refused(const CliResult& r, const std::string& prefix) {
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_EQ(r.out, "");
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "one line: " << r.err;
  EXPECT_EQ(r.err.rfind(prefix, 0), 0u) << "expected it to start with \"" << prefix << "\": " << r.err;
  for (const char* leak : {"json.exception", "parse_error", "CLI::", "std::", "what()"})
    EXPECT_EQ(r.err.find(leak), std::string::npos) << r.err;
}

struct BadScenario {
  std::string text;
  std::string prefix;  // the start of the error line
};

const std::vector<BadScenario>& bad_scenarios() {
  static const std::vector<BadScenario> cases = {
      {"", "error: <stdin>: invalid JSON at line 1, column 1: the file is empty"},
      {"{\n  \"seed\": ,\n}", "error: <stdin>: invalid JSON at line 2, column 11:"},
      {std::string(100000, '['), "error: <stdin>: /0/0/0/0/"},
      {std::string("\x7f" "ELF\x02\x01\x01\0\0\0", 10), "error: <stdin>: invalid JSON at line 1, column 1:"},
      {R"({"input": {"tokens": [[1, 0]]}, "layers": [{"type": "Embedding", "input_dim": 2, "output_dim": 2,)"
       R"( "mask_zeros": true}]})",
       "error: <stdin>: /layers/0/mask_zeros: unknown field \"mask_zeros\"; did you mean \"mask_zero\"?"},
      {R"({"input": {"tokens": [[1, 7]]}, "layers": [{"type": "Embedding", "input_dim": 2, "output_dim": 2}]})",
       "error: <stdin>: /input/tokens/0/1: token id 7 is out of range"},
      {R"({"input": {"values": [[[1], [2, 3]]]}, "layers": [{"type": "Flatten"}]})",
       "error: <stdin>: /input/values/0/1: a ragged array"},
      {R"({"input": {"values": [[[1e39]]]}, "layers": [{"type": "Flatten"}]})",
       "error: <stdin>: /input/values/0/0/0: 1e+39 is not a finite float32"},
      {R"({"input": {"values": [[[1e400]]]}, "layers": [{"type": "Flatten"}]})",
       "error: <stdin>: /input/values/0/0/0: a number beyond the range of a double"},
      {R"({"input": {"values": [[[1]]]}, "layers": [{"type": "Flatten"}, {"type": "LSTM", "units": 2}]})",
       "error: <stdin>: /layers/1/type: lstm cannot follow an output of shape [1, 1]"},
      {R"({"input": {"values": [[[1]]]}, "layers": [{"type": "Dense", "units": 2, "weights": {"kernel": [[1]]}}]})",
       "error: <stdin>: /layers/0/weights/kernel/0: 1 entry on axis 1 where dense's kernel must have shape [1, 2]"},
      {R"({"input": {"values": [[[1]]]}, "layers": [{"type": "Dense", "units": 2}], "target": [[[1]]], "loss": "mse"})",
       "error: <stdin>: /target/0/0: 1 entry on axis 2"},
      {R"({"input": {"values": [[[1]]]}, "layers": [{"type": "Dense", "units": 2}], "target": [[[1, 0]]], "loss": "l2"})",
       "error: <stdin>: /loss: unknown loss \"l2\""},
      {R"({"input": {"values": [[[1]]]}, "layers": [{"type": "Dense", "units": 2, "activation": "relu6"}]})",
       "error: <stdin>: /layers/0/activation: unknown value \"relu6\""},
      {R"({"maskviz": 2, "input": {"values": [[[1]]]}, "layers": [{"type": "Flatten"}]})",
       "error: <stdin>: /maskviz: unsupported format version"},
      {R"({"input": {"values": [[[1]]]}, "layers": [{"type": "Dense", "units": 30000}, {"type": "Dense", "units": 30000}]})",
       "error: <stdin>: /layers/1: the weights up to layer \"dense_1\" need about"},
  };
  return cases;
}

TEST(CliErrors, EveryCommandRefusesEveryBadScenarioTheSameWay) {
  for (const auto& command : kCommands) {
    for (const auto& bad : bad_scenarios()) {
      SCOPED_TRACE(command + " <- " + bad.text.substr(0, 80));
      expect_refused(run_stdin(command, bad.text), bad.prefix);
    }
  }
}

TEST(CliErrors, FileNameLeadsTheErrorLine) {
  const auto dir = std::filesystem::temp_directory_path() / "maskviz-cli-errors";
  std::filesystem::create_directories(dir);
  const auto path = (dir / "typo.json").string();
  std::ofstream(path) << R"({"inptu": {"values": [[[1]]]}, "layers": [{"type": "Flatten"}]})";
  for (const auto& command : kCommands)
    expect_refused(run_cli({command, path}), "error: " + path + ": /inptu: unknown field \"inptu\"; did you mean");
  expect_refused(run_cli({"run", "tests/no-such-scenario.json"}),
                 "error: tests/no-such-scenario.json: cannot open \"tests/no-such-scenario.json\"");
}

TEST(CliErrors, ExportWritesNoFileForABadScenario) {
  const auto out = std::filesystem::temp_directory_path() / "maskviz-cli-errors-export.json";
  std::filesystem::remove(out);
  expect_refused(run_stdin("export", R"({"input": {}, "layers": []})", {"-o", out.string()}), "error: <stdin>: /input");
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(CliErrors, MemoryLimitOption) {
  for (const auto& command : kCommands) {
    SCOPED_TRACE(command);
    expect_refused(run_cli({command, kGood, "--max-memory", "1K"}),
                   std::string("error: ") + kGood + ": /layers/");
    expect_refused(run_cli({command, kGood, "--max-memory", "lots"}), std::string("error: ") + kGood + ": --max-memory");
  }
  const CliResult r = run_cli({"validate", kGood, "--max-memory", "1K"});
  EXPECT_NE(r.err.find("needs about 4.9 KiB for the weights and the full-detail record of both runs, most of it for "
                        "layer \"lstm\", over the memory limit of 1.0 KiB"),
            std::string::npos)
      << r.err;
}

TEST(CliErrors, ArgumentErrorsExitTwo) {
  for (const auto& command : kCommands) {
    SCOPED_TRACE(command);
    expect_refused(run_cli({command}), "error: ");                              // SCENARIO missing
    expect_refused(run_cli({command, kGood, "--no-such-option"}), "error: ");  // CLI11 would exit 109
    expect_refused(run_cli({command, kGood, "--detail", "most"}), "error: ");
  }
  expect_refused(run_cli({}), "error: ");
  expect_refused(run_cli({"frobnicate"}), "error: ");
}

TEST(CliErrors, HelpAndVersionStillExitZero) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--help"}, {"--version"}, {"run", "--help"}, {"validate", "--help"}}) {
    const CliResult r = run_cli(args);
    EXPECT_EQ(r.status, 0) << args[0] << ": " << r.err;
    EXPECT_FALSE(r.out.empty());
  }
  EXPECT_NE(run_cli({"--version"}).out.find("maskviz "), std::string::npos);
}

TEST(CliErrors, AGoodScenarioFromStdinWorks) {
  std::ifstream in(std::string(MASKVIZ_SOURCE_DIR) + "/" + kGood);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const auto& command : {"validate", "run", "export"}) {
    const CliResult r = run_stdin(command, text);
    EXPECT_EQ(r.status, 0) << command << ": " << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_FALSE(r.out.empty());
  }
}

}  // namespace
}  // namespace maskviz
