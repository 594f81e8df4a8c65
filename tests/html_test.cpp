// `maskviz html`: the page's promises that need no browser (tests/check_html_page.py renders it in
// Chromium): deterministic bytes, self-contained, bounded size for a large scenario, both runs drawn,
// the selection said on the page, and the file rules of -o.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

#include <sys/stat.h>

#include "cli_run.h"
#include "test_names.h"

namespace fs = std::filesystem;
using maskviz::testing::CliResult;
using maskviz::testing::run_cli;

namespace {

std::vector<std::string> bundled() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(fs::path(MASKVIZ_SOURCE_DIR) / "scenarios"))
    if (entry.path().extension() == ".json") names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class BundledPage : public ::testing::TestWithParam<std::string> {};

TEST_P(BundledPage, IsDeterministicSelfContainedAndDrawsBothRuns) {
  const std::string path = "scenarios/" + GetParam();
  const CliResult first = run_cli({"html", path});
  const CliResult second = run_cli({"html", path});
  ASSERT_EQ(first.status, 0) << first.err;
  EXPECT_EQ(first.err, "");
  EXPECT_EQ(first.out, second.out) << "the same scenario must give the same bytes";
  const std::string& page = first.out;
  EXPECT_LT(page.size(), std::size_t{1} << 20);
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
  // Nothing that could fetch: no URL, no src or href attribute, no @import; a policy that forbids it anyway.
  for (const char* fetch : {"http:", "https:", " src=", " href=", "@import", "url(http", "//fonts"})
    EXPECT_EQ(page.find(fetch), std::string::npos) << fetch;
  EXPECT_NE(page.find("Content-Security-Policy\" content=\"default-src 'none'"), std::string::npos);
  EXPECT_GT(count(page, "data-run=\"masked\""), 0u);
  EXPECT_EQ(count(page, "data-run=\"masked\""), count(page, "data-run=\"unmasked\""))
      << "every figure of the masked run has its unmasked twin";
  EXPECT_NE(page.find("class=\"story\""), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Scenarios, BundledPage, ::testing::ValuesIn(bundled()),
                         [](const auto& info) { return maskviz::gtest_name(fs::path(info.param).stem().string()); });

// B=32 sequences of T=128 tokens, an LSTM of H=128 units: the issue's large scenario, padded at the end;
// with a loss, the page also draws the gradients of both runs.
std::string large_scenario(bool with_loss = false) {
  std::ostringstream s;
  s << R"({"name": "large", "seed": 3, "input": {"tokens": [)";
  for (int b = 0; b < 32; ++b) {
    s << (b ? "," : "") << "[";
    for (int t = 0; t < 128; ++t) s << (t ? "," : "") << (t < 128 - b * 3 ? 1 + (b * 7 + t) % 50 : 0);
    s << "]";
  }
  s << R"(]}, "layers": [{"type": "Embedding", "input_dim": 64, "output_dim": 16, "mask_zero": true},
         {"type": "LSTM", "units": 128, "return_sequences": true}, {"type": "Dense", "units": 4}])";
  if (with_loss) {
    s << R"(, "loss": "mse", "target": [)";
    for (int b = 0; b < 32; ++b) {
      s << (b ? "," : "") << "[";
      for (int t = 0; t < 128; ++t) s << (t ? "," : "") << "[0.5, 0, -0.5, 0.25]";
      s << "]";
    }
    s << "]";
  }
  s << "}";
  return s.str();
}

TEST(HtmlPage, LargeScenarioStaysSmallAndSaysWhatWasDrawn) {
  maskviz::testing::CliRun run;
  run.args = {"html", "-"};
  run.stdin_text = large_scenario();
  const auto start = std::chrono::steady_clock::now();
  const CliResult r = run_cli(run);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_LT(r.out.size(), std::size_t{5} << 20);
  // Padding begins at t=119 in b=3: the window starts a quarter of its 32 steps earlier, at the end at most.
  EXPECT_NE(r.out.find("drawn: sequences b=0–3 of 32, steps t=96–127 of 128 (the steps where the drawn sequences' "
                       "padding begins)"), std::string::npos);
  EXPECT_NE(r.out.find("class=\"masked-step\""), std::string::npos) << "the drawn part shows masked steps";
  EXPECT_NE(r.out.find("--batch I --steps A:B"), std::string::npos);
  std::cout << "large page: " << r.out.size() << " bytes in " << seconds << " s (maskviz and the scenario's run)\n";
}

TEST(HtmlPage, LargeScenarioWithALossDrawsItsGradientsAndStaysSmall) {
  maskviz::testing::CliRun run;
  run.args = {"html", "-"};
  run.stdin_text = large_scenario(true);
  const auto start = std::chrono::steady_clock::now();
  const CliResult r = run_cli(run);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_LT(r.out.size(), std::size_t{5} << 20);
  EXPECT_NE(r.out.find("data-fig=\"output-gradient\""), std::string::npos);
  EXPECT_NE(r.out.find("data-fig=\"weight-gradient\""), std::string::npos) << "the Embedding's rows";
  EXPECT_NE(r.out.find("data-fig=\"weight-change\""), std::string::npos);
  std::cout << "large page with gradients: " << r.out.size() << " bytes in " << seconds << " s\n";
}

// At detail outputs MultiHeadAttention records no map: the page and the text say where to find one, and the
// export writes null, instead of reading cells that are not there.
TEST(HtmlPage, AttentionAtDetailOutputsSaysWhereTheMapsAre) {
  const CliResult page = run_cli({"html", "scenarios/16a-attention-padding.json", "--detail", "outputs"});
  ASSERT_EQ(page.status, 0) << page.err;
  EXPECT_NE(page.out.find("attention weights: recorded at --detail steps or full"), std::string::npos);
  EXPECT_EQ(page.out.find("data-fig=\"attention\""), std::string::npos);
  const CliResult text = run_cli({"run", "scenarios/16a-attention-padding.json", "--detail", "outputs"});
  ASSERT_EQ(text.status, 0) << text.err;
  const CliResult json = run_cli({"export", "scenarios/16a-attention-padding.json", "--detail", "outputs"});
  ASSERT_EQ(json.status, 0) << json.err;
  EXPECT_NE(json.out.find("\"scores\":null"), std::string::npos);
}

// Every built-in layer has a backward pass now, graphs and attention included, so the page of the attention
// scenario draws gradients; a layer without one is named by no_backward_reason (tests/new_layer_test.cpp).
// Without a loss, the page and `grad` say why there is nothing to draw, from the same source.
TEST(HtmlPage, SaysWhyThereAreNoGradients) {
  const CliResult branches = run_cli({"html", "scenarios/16a-attention-padding.json"});
  ASSERT_EQ(branches.status, 0) << branches.err;
  EXPECT_NE(branches.out.find("data-fig=\"output-gradient\""), std::string::npos)
      << "a model with branches and attention has gradients";
  const CliResult lossless = run_cli({"html", "scenarios/02-forum-lstm.json"});
  EXPECT_NE(lossless.out.find("this scenario has no loss, so there is no backward pass to show"), std::string::npos);
  const CliResult grad = run_cli({"grad", "scenarios/02-forum-lstm.json"});
  EXPECT_NE(grad.out.find("this scenario has no loss, so there is no backward pass to show"), std::string::npos)
      << "the text says it from the same source";
}

TEST(HtmlPage, GradientFiguresHatchTheMaskedSteps) {
  const CliResult r = run_cli({"html", "scenarios/15a-forum-lstm-gradients.json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("masked run, at all 2 masked steps: exactly 0: this step does not reach the loss"),
            std::string::npos);
  EXPECT_NE(r.out.find("6 of the 6 terms of masked steps are exactly 0"), std::string::npos);
  EXPECT_NE(r.out.find("Row 0 of embedding (the padding token) has gradient exactly 0 here and does not move."),
            std::string::npos);
  const CliResult leak = run_cli({"html", "scenarios/15b-flatten-leaks-gradient.json"});
  EXPECT_NE(leak.out.find("has a real gradient here (a layer dropped the mask)"), std::string::npos);
}

TEST(HtmlPage, SelectorsPickWhatIsDrawn) {
  const CliResult r = run_cli({"html", "scenarios/11-batch-of-lengths.json", "--batch", "1", "--steps", "0:1"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("drawn: sequences b=1 of"), std::string::npos);
  EXPECT_NE(r.out.find("steps t=0–1 of"), std::string::npos);
  const CliResult layer = run_cli({"html", "scenarios/02-forum-lstm.json", "--layer", "lstm"});
  ASSERT_EQ(layer.status, 0) << layer.err;
  EXPECT_EQ(count(layer.out, "<section class=\"layer\""), 1u);
  const CliResult bad = run_cli({"html", "scenarios/02-forum-lstm.json", "--batch", "9"});
  EXPECT_EQ(bad.status, 2);
  EXPECT_EQ(bad.out, "");
}

TEST(HtmlPage, OutputFileIsWholeOrAbsent) {
  const fs::path dir = fs::temp_directory_path() / "maskviz-html-test";
  fs::create_directories(dir);
  const fs::path page = dir / "page.html";
  fs::remove(page);
  const CliResult r = run_cli({"html", "scenarios/02-forum-lstm.json", "-o", page.string()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "");
  std::ifstream in(page, std::ios::binary);
  const std::string written((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(written, run_cli({"html", "scenarios/02-forum-lstm.json"}).out);
  EXPECT_EQ(run_cli({"html", "scenarios/02-forum-lstm.json", "-o", "-"}).out, written);
  for (const auto& entry : fs::directory_iterator(dir))
    EXPECT_EQ(entry.path().filename(), "page.html") << "nothing but the page is left behind";

  // A link keeps being a link and its target gets the page; a device is written, not replaced.
  const fs::path target = dir / "target.html", link = dir / "link.html";
  fs::remove(target);
  fs::remove(link);
  std::ofstream(target) << "old";
  fs::create_symlink(target, link);
  ASSERT_EQ(run_cli({"html", "scenarios/02-forum-lstm.json", "-o", link.string()}).status, 0);
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_EQ(fs::file_size(target), written.size());
  // A pipe stands for a device (never /dev/null itself: a wrong rename would replace it for the machine).
  const fs::path fifo = dir / "pipe.html";
  fs::remove(fifo);
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::string piped;
  std::thread reader([&] {
    std::ifstream pipe_in(fifo, std::ios::binary);
    piped.assign(std::istreambuf_iterator<char>(pipe_in), std::istreambuf_iterator<char>());
  });
  const CliResult device = run_cli({"html", "scenarios/02-forum-lstm.json", "-o", fifo.string()});
  reader.join();
  EXPECT_EQ(device.status, 0) << device.err;
  EXPECT_EQ(piped, written);
  EXPECT_TRUE(fs::is_fifo(fifo));
  fs::remove(fifo);
  fs::remove(target);
  fs::remove(link);

  const fs::path none = dir / "none.html";
  maskviz::testing::CliRun bad;
  bad.args = {"html", "-", "-o", none.string()};
  bad.stdin_text = R"({"input": {}, "layers": []})";
  const CliResult refused = run_cli(bad);
  EXPECT_EQ(refused.status, 2);
  EXPECT_FALSE(fs::exists(none));
  const CliResult unwritable = run_cli({"html", "scenarios/02-forum-lstm.json", "-o", (dir / "no/such/dir.html").string()});
  EXPECT_EQ(unwritable.status, 2);
  EXPECT_EQ(unwritable.err.rfind("error: scenarios/02-forum-lstm.json: cannot write", 0), 0u) << unwritable.err;
}

}  // namespace
