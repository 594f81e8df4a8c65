// Files and streams as a user meets them: `-o` through a symlink, into a device or FIFO, onto a full
// file system, into a directory; standard output and standard error on /dev/full. Nothing is lost,
// nothing is half-written, nothing fails silently, and every failure is exit status 2.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>

#include "cli_run.h"
#include "io/output_file.h"
#include "io/streams.h"

namespace maskviz {
namespace {

namespace fs = std::filesystem;
using testing::CliResult;
using testing::CliRun;
using testing::run_cli;

const std::string kScenario = std::string(MASKVIZ_SOURCE_DIR) + "/tests/golden/lstm-carry-over.scenario.json";

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void spit(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

// A fresh directory per test, removed afterwards.
class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string name = (fs::temp_directory_path() / "maskviz-io-XXXXXX").string();
    ASSERT_NE(mkdtemp(name.data()), nullptr);
    dir_ = name;
  }
  void TearDown() override { fs::remove_all(dir_); }
  // Names in the directory, for "nothing else was left behind".
  std::vector<std::string> entries(const fs::path& where) const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(where)) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
  CliResult export_to(const std::string& output) { return run_cli({"export", kScenario, "-o", output}); }
  fs::path dir_;
};

bool is_trace(const std::string& text) { return text.rfind("{\"format\":\"maskviz-trace\"", 0) == 0 && text.back() == '\n'; }

using OutputFile = TempDir;

TEST_F(OutputFile, ThroughASymlinkWritesItsTargetAndKeepsTheLink) {
  fs::create_directory(dir_ / "data");
  spit(dir_ / "data" / "trace.json", "old");
  fs::create_symlink("data/trace.json", dir_ / "link.json");  // relative, as `ln -s` makes them
  const CliResult r = export_to((dir_ / "link.json").string());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(dir_ / "link.json")));
  EXPECT_TRUE(is_trace(slurp(dir_ / "data" / "trace.json")));
  EXPECT_EQ(entries(dir_), (std::vector<std::string>{"data", "link.json"}));
  EXPECT_EQ(entries(dir_ / "data"), (std::vector<std::string>{"trace.json"}));
}

TEST_F(OutputFile, ThroughADanglingSymlinkCreatesItsTarget) {
  fs::create_symlink(dir_ / "new.json", dir_ / "a");
  fs::create_symlink("a", dir_ / "b");  // a chain: b -> a -> new.json
  ASSERT_EQ(export_to((dir_ / "b").string()).status, 0);
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(dir_ / "a")));
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(dir_ / "b")));
  EXPECT_TRUE(is_trace(slurp(dir_ / "new.json")));
}

TEST_F(OutputFile, KeepsTheModeOfTheFileItReplaces) {
  spit(dir_ / "trace.json", "old");
  fs::permissions(dir_ / "trace.json", fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  ASSERT_EQ(export_to((dir_ / "trace.json").string()).status, 0);
  EXPECT_EQ(fs::status(dir_ / "trace.json").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
}

// A copy of /dev/null's node (made here, so that a failing test cannot break the machine's own).
TEST_F(OutputFile, ADeviceIsWrittenNotReplaced) {
  const fs::path node = dir_ / "null";
  if (mknod(node.c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0) GTEST_SKIP() << "mknod is not permitted here";
  const CliResult r = export_to(node.string());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(fs::is_character_file(fs::symlink_status(node)));
  EXPECT_EQ(entries(dir_), (std::vector<std::string>{"null"}));
}

TEST_F(OutputFile, AFifoIsWrittenDirectly) {
  const fs::path fifo = dir_ / "fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  auto reader = std::async(std::launch::async, [&] { return slurp(fifo); });
  const CliResult r = export_to(fifo.string());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(is_trace(reader.get()));
  EXPECT_TRUE(fs::is_fifo(fs::symlink_status(fifo)));
}

TEST_F(OutputFile, DashIsStandardOutput) {
  CliRun run;
  run.args = {"export", kScenario, "-o", "-"};
  run.cwd = dir_.string();
  const CliResult r = run_cli(run);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(is_trace(r.out));
  EXPECT_TRUE(entries(dir_).empty()) << "no file named -";
}

TEST_F(OutputFile, ADirectoryIsRefused) {
  const CliResult r = export_to(dir_.string());
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("it is a directory"), std::string::npos) << r.err;
  EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(OutputFile, AMissingDirectoryNamesTheReason) {
  const CliResult r = export_to((dir_ / "no" / "trace.json").string());
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("No such file or directory"), std::string::npos) << r.err;
}

// A tmpfs far smaller than the trace: the write fails part-way, and the old file must survive whole.
class FullFileSystem : public TempDir {
 protected:
  void SetUp() override {
    TempDir::SetUp();
    if (mount("tmpfs", dir_.c_str(), "tmpfs", 0, "size=4k") != 0) GTEST_SKIP() << "mount is not permitted here";
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) umount(dir_.c_str());
    TempDir::TearDown();
  }
  bool mounted_ = false;
};

TEST_F(FullFileSystem, OutputLeavesTheOldFileAndNoTemporaryAndSaysWhy) {
  spit(dir_ / "trace.json", "old");
  const CliResult r = export_to((dir_ / "trace.json").string());
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("cannot write \"" + (dir_ / "trace.json").string() + "\": No space left on device"),
            std::string::npos) << r.err;
  EXPECT_EQ(slurp(dir_ / "trace.json"), "old");
  EXPECT_EQ(entries(dir_), (std::vector<std::string>{"trace.json"}));
}

TEST_F(FullFileSystem, RedirectedStandardOutputIsAnError) {
  for (const std::string command : {"export", "run", "diff", "validate"}) {
    CliRun run;
    run.args = {command, kScenario};
    run.stdout_file = (dir_ / "out.txt").string();
    // validate prints little: fill the file system first so that its output cannot fit either
    spit(dir_ / "filler", std::string(4096, 'x'));
    const CliResult r = run_cli(run);
    fs::remove(dir_ / "filler");
    EXPECT_EQ(r.status, 2) << command;
    EXPECT_NE(r.err.find("cannot write standard output: No space left on device"), std::string::npos)
        << command << ": " << r.err;
  }
}

TEST(StandardStreams, DevFullOnStandardOutputIsAnErrorForEveryCommand) {
  for (const std::string command : {"export", "run", "diff", "validate"}) {
    CliRun run;
    run.args = {command, kScenario};
    run.stdout_file = "/dev/full";
    const CliResult r = run_cli(run);
    EXPECT_EQ(r.status, 2) << command;
    EXPECT_EQ(r.err, "error: " + kScenario + ": cannot write standard output: No space left on device\n") << command;
  }
  CliRun help;
  help.args = {"--help"};
  help.stdout_file = "/dev/full";
  EXPECT_EQ(run_cli(help).status, 2);
}

TEST(StandardStreams, DevFullOnStandardErrorNeverCrashes) {
  CliRun run;
  run.args = {"validate", "nosuch.json"};
  run.stderr_file = "/dev/full";
  const CliResult r = run_cli(run);
  EXPECT_EQ(r.signal, 0) << "killed by signal " << r.signal;
  EXPECT_EQ(r.status, 2);
}

TEST(StandardStreams, ABrokenPipeEndsQuietly) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  close(fds[0]);  // the reader is gone before the first byte, as with `| head -c0`
  CliRun run;
  run.args = {"export", kScenario};
  run.stdout_file = "/proc/self/fd/" + std::to_string(fds[1]);
  const CliResult r = run_cli(run);
  close(fds[1]);
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.signal, SIGPIPE);
}

using InputFile = TempDir;

TEST_F(InputFile, ADirectoryIsABadArgumentNotADifference) {
  for (const std::string command : {"diff", "run", "export", "validate"}) {
    const CliResult r = run_cli({command, dir_.string()});
    EXPECT_EQ(r.status, 2) << command;
    EXPECT_EQ(r.err, "error: " + dir_.string() + ": \"" + dir_.string() + "\" is a directory; expected a scenario file\n");
  }
}

TEST_F(InputFile, AMissingFileNamesTheReason) {
  const CliResult r = run_cli({"validate", (dir_ / "nosuch.json").string()});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("for reading: No such file or directory"), std::string::npos) << r.err;
}

TEST(ExitStatus, HelpSaysThatOneIsOnlyForDiff) {
  const CliResult r = run_cli({"--help"});
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("1 only when diff finds that the runs differ"), std::string::npos) << r.out;
}

TEST_F(OutputFile, ResolveLinksFollowsAChainFromEachLinksDirectory) {
  fs::create_directory(dir_ / "sub");
  fs::create_symlink("target.json", dir_ / "sub" / "one");  // relative to sub/
  fs::create_symlink("sub/one", dir_ / "two");
  EXPECT_EQ(io::resolve_links((dir_ / "two").string()), (dir_ / "sub" / "target.json").string());
  EXPECT_EQ(io::resolve_links((dir_ / "plain").string()), (dir_ / "plain").string());
  fs::create_symlink("loop", dir_ / "loop");
  EXPECT_THROW(io::resolve_links((dir_ / "loop").string()), io::WriteError);
}

}  // namespace
}  // namespace maskviz
