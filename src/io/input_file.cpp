#include "io/input_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/errors.h"

namespace maskviz::io {

namespace {

std::string read_fd(int fd, const std::string& what) {
  std::string text;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) return text;
    if (n < 0) {
      if (errno == EINTR) continue;
      throw UsageError(fmt::format("cannot read {}: {}", what, std::strerror(errno)));
    }
    text.append(buffer, static_cast<std::size_t>(n));
  }
}

}  // namespace

std::string read_input(const std::string& path) {
  if (path == "-") return read_fd(STDIN_FILENO, "standard input");
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw UsageError(fmt::format("cannot open \"{}\" for reading: {}", path, std::strerror(errno)));
  struct stat info {};
  if (::fstat(fd, &info) == 0 && S_ISDIR(info.st_mode)) {
    ::close(fd);
    throw UsageError(fmt::format("\"{}\" is a directory; expected a scenario file", path));
  }
  try {
    std::string text = read_fd(fd, fmt::format("\"{}\"", path));
    ::close(fd);
    return text;
  } catch (...) {
    ::close(fd);
    throw;
  }
}

}  // namespace maskviz::io
