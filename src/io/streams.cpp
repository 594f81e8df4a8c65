#include "io/streams.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

namespace maskviz::io {

namespace {

constexpr std::size_t kChunk = std::size_t{1} << 16;

// The reader of a pipe is gone: end as the default SIGPIPE action would, so that `| head` stays quiet
// and the shell sees the usual status, even when the parent process ignored SIGPIPE for us.
[[noreturn]] void end_on_broken_pipe() {
  std::signal(SIGPIPE, SIG_DFL);
  std::raise(SIGPIPE);
  _exit(128 + SIGPIPE);  // only if the signal is blocked
}

// 0 when all was written, else errno.
int write_fd(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return EIO;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return 0;
}

[[noreturn]] void fail(int error, std::string_view what) {
  if (error == EPIPE) end_on_broken_pipe();
  throw WriteError(fmt::format("cannot write {}: {}", what, std::strerror(error)));
}

}  // namespace

void write_all(int fd, std::string_view text, std::string_view what) {
  if (const int error = write_fd(fd, text.data(), text.size()); error != 0) fail(error, what);
}

void write_stdout(std::string_view text) { write_all(STDOUT_FILENO, text, "standard output"); }

void write_stderr(std::string_view text) noexcept {
  const int saved = errno;
  (void)write_fd(STDERR_FILENO, text.data(), text.size());
  errno = saved;
}

FdOutput::FdOutput(int fd, std::string what) : fd_(fd), what_(std::move(what)), buffer_(kChunk, '\0') {}

bool FdOutput::drain() {
  if (error_ == 0 && used_ > 0) error_ = write_fd(fd_, buffer_.data(), used_);
  used_ = 0;
  return error_ == 0;
}

FdOutput::int_type FdOutput::overflow(int_type c) {
  if (traits_type::eq_int_type(c, traits_type::eof())) return drain() ? traits_type::not_eof(c) : traits_type::eof();
  const char byte = traits_type::to_char_type(c);
  return xsputn(&byte, 1) == 1 ? c : traits_type::eof();
}

std::streamsize FdOutput::xsputn(const char* data, std::streamsize count) {
  if (error_ != 0) return 0;
  auto size = static_cast<std::size_t>(count);
  if (used_ + size > buffer_.size()) {
    if (!drain()) return 0;
    if (size >= buffer_.size()) {  // large blocks (the JSON writer's 1 MiB buffer) go straight out
      error_ = write_fd(fd_, data, size);
      return error_ == 0 ? count : 0;
    }
  }
  std::memcpy(buffer_.data() + used_, data, size);
  used_ += size;
  return count;
}

int FdOutput::sync() { return drain() ? 0 : -1; }

void FdOutput::finish() {
  stream_.flush();
  if (!drain()) fail(error_, what_);
}

}  // namespace maskviz::io
