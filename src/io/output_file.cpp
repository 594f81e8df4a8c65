#include "io/output_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "io/streams.h"

namespace maskviz::io {

namespace {

// As the kernel's own limit on links followed in one lookup (MAXSYMLINKS).
constexpr int kMaxLinks = 40;

[[noreturn]] void fail(const std::string& path, const std::string& doing, int error) {
  throw WriteError(fmt::format("cannot {} \"{}\": {}", doing, path, std::strerror(error)));
}

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string base_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The descriptor is closed and the close checked: on some file systems (NFS) a failed write is only
// reported there.
void close_checked(int fd, const std::string& path) {
  if (::close(fd) != 0) fail(path, "write", errno);
}

void produce_into(int fd, const std::string& path, const std::function<void(std::ostream&)>& produce) {
  FdOutput output(fd, fmt::format("\"{}\"", path));
  produce(output.stream());
  output.finish();
}

// Writes everything into `fd` and closes it, checking the close (where NFS and full disks report); on
// any failure the descriptor is closed all the same and the error goes on.
void write_and_close(int fd, const std::string& path, const std::function<void(std::ostream&)>& produce) {
  try {
    produce_into(fd, path, produce);
  } catch (...) {
    ::close(fd);
    throw;
  }
  close_checked(fd, path);
}

// A device, FIFO or socket: written in place, never created, truncated or replaced.
void write_special(const std::string& path, const std::function<void(std::ostream&)>& produce) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) fail(path, "open for writing", errno);
  write_and_close(fd, path, produce);
}

// The mode a replaced file keeps, or the one a new file gets (0666 less the umask, as open(2) gives).
mode_t mode_for(const struct stat* existing) {
  if (existing != nullptr) return existing->st_mode & 07777;
  const mode_t mask = ::umask(0);
  ::umask(mask);
  return 0666 & ~mask;
}

// A regular file (or a new one): a temporary beside it, renamed over it once complete.
void write_replacing(const std::string& path, const struct stat* existing,
                     const std::function<void(std::ostream&)>& produce) {
  if (existing != nullptr && ::access(path.c_str(), W_OK) != 0) fail(path, "write", errno);
  std::string name = directory_of(path) + "/." + base_of(path) + ".maskviz-XXXXXX";
  std::vector<char> temp(name.begin(), name.end());
  temp.push_back('\0');
  const int fd = ::mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0) fail(path, "write", errno);
  const std::string temp_path(temp.data());
  try {
    if (::fchmod(fd, mode_for(existing)) != 0) fail(path, "write", errno);
    write_and_close(fd, path, produce);
    if (::rename(temp_path.c_str(), path.c_str()) != 0) fail(path, "write", errno);
  } catch (...) {
    ::unlink(temp_path.c_str());  // nothing half-written is left behind, whatever went wrong
    throw;
  }
}

}  // namespace

std::string resolve_links(const std::string& path) {
  std::string current = path;
  for (int hops = 0; hops <= kMaxLinks; ++hops) {
    struct stat info {};
    if (::lstat(current.c_str(), &info) != 0 || !S_ISLNK(info.st_mode)) return current;
    std::array<char, 4096> target{};
    const ssize_t n = ::readlink(current.c_str(), target.data(), target.size() - 1);
    if (n < 0) fail(path, "follow the link", errno);
    const std::string next(target.data(), static_cast<std::size_t>(n));
    current = next.front() == '/' ? next : directory_of(current) + "/" + next;
  }
  fail(path, "follow the link", ELOOP);
}

void write_output(const std::string& path, const std::function<void(std::ostream&)>& produce) {
  if (path == "-") {
    FdOutput output(STDOUT_FILENO, "standard output");
    produce(output.stream());
    output.finish();
    return;
  }
  if (path.empty()) throw WriteError("-o: an empty file name; expected a file, or - for standard output");
  const std::string target = resolve_links(path);
  struct stat info {};
  if (::stat(target.c_str(), &info) != 0) {
    if (errno != ENOENT) fail(path, "write", errno);
    return write_replacing(target, nullptr, produce);
  }
  if (S_ISDIR(info.st_mode)) throw WriteError(fmt::format("cannot write \"{}\": it is a directory", path));
  if (S_ISREG(info.st_mode)) return write_replacing(target, &info, produce);
  write_special(target, produce);
}

}  // namespace maskviz::io
