// Runs the built maskviz (MASKVIZ_BINARY) the way a user does, and captures what they would see:
// standard output, standard error and the exit status. Standard output is a pipe, or with `terminal`
// a pseudo-terminal, so that colour decisions can be tested both ways.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

namespace maskviz::testing {

struct CliRun {
  std::vector<std::string> args;                // after the program name
  std::map<std::string, std::string> env;       // set in the child; NO_COLOR and COLUMNS are cleared first
  std::string cwd = MASKVIZ_SOURCE_DIR;         // scenario paths are relative to the repository
  std::string stdin_text;
  bool terminal = false;                        // standard output on a pseudo-terminal
  std::string stdout_file;                      // when set, standard output is this file (`> FILE`)
  std::string stderr_file;                      // when set, standard error is this file (`2> FILE`)
};

struct CliResult {
  int status = -1;  // -1 when a signal ended the program
  int signal = 0;
  std::string out;
  std::string err;
};

inline CliResult run_cli(const CliRun& run) {
  int out_pipe[2], err_pipe[2], in_pipe[2];
  if (pipe(out_pipe) != 0 || pipe(err_pipe) != 0 || pipe(in_pipe) != 0) return {};
  int master = -1;
  std::string slave_name;
  if (run.terminal) {
    master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) return {};
    slave_name = ptsname(master);
  }
  const pid_t pid = fork();
  if (pid == 0) {
    if (chdir(run.cwd.c_str()) != 0) _exit(127);
    unsetenv("NO_COLOR");
    unsetenv("COLUMNS");
    for (const auto& [key, value] : run.env) setenv(key.c_str(), value.c_str(), 1);
    if (run.terminal) {
      const int slave = open(slave_name.c_str(), O_RDWR | O_NOCTTY);
      if (slave < 0) _exit(127);
      dup2(slave, STDOUT_FILENO);
      close(slave);
    } else if (!run.stdout_file.empty()) {
      const int file = open(run.stdout_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (file < 0) _exit(127);
      dup2(file, STDOUT_FILENO);
      close(file);
    } else {
      dup2(out_pipe[1], STDOUT_FILENO);
    }
    if (!run.stderr_file.empty()) {
      const int file = open(run.stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (file < 0) _exit(127);
      dup2(file, STDERR_FILENO);
      close(file);
    } else {
      dup2(err_pipe[1], STDERR_FILENO);
    }
    dup2(in_pipe[0], STDIN_FILENO);
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1], in_pipe[0], in_pipe[1], master})
      if (fd >= 0) close(fd);
    std::vector<char*> argv;
    const std::string binary = MASKVIZ_BINARY;
    argv.push_back(const_cast<char*>(binary.c_str()));
    for (const auto& a : run.args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  close(in_pipe[0]);
  if (!run.stdin_text.empty()) {
    // A pipe may take the text in parts; a child that stopped reading ends the loop.
    for (std::size_t sent = 0; sent < run.stdin_text.size();) {
      const ssize_t n = write(in_pipe[1], run.stdin_text.data() + sent, run.stdin_text.size() - sent);
      if (n <= 0) break;
      sent += static_cast<std::size_t>(n);
    }
  }
  close(in_pipe[1]);

  CliResult result;
  const int out_fd = run.terminal ? master : out_pipe[0];
  if (run.terminal) close(out_pipe[0]);
  std::vector<pollfd> fds = {{out_fd, POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[] = {&result.out, &result.err};
  int open_count = 2;
  char buffer[65536];
  while (open_count > 0) {
    if (poll(fds.data(), fds.size(), 60000) <= 0) break;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<std::size_t>(n));
      } else {  // end of file, or EIO on a pseudo-terminal whose other end has closed
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_count;
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  if (run.terminal) {  // a terminal turns "\n" into "\r\n"
    std::string plain;
    for (char c : result.out)
      if (c != '\r') plain += c;
    result.out = plain;
  }
  return result;
}

// The common case: these arguments, NO_COLOR set, standard output a pipe.
inline CliResult run_cli(std::vector<std::string> args) {
  CliRun run;
  run.args = std::move(args);
  run.env = {{"NO_COLOR", "1"}};
  return run_cli(run);
}
// So that run_cli({}) and run_cli({"run", path}) pick the line above rather than CliRun.
inline CliResult run_cli(std::initializer_list<std::string> args) { return run_cli(std::vector<std::string>(args)); }

}  // namespace maskviz::testing
