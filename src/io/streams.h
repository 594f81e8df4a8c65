// Standard output and standard error as maskviz writes them: every write checked, nothing lost silently.
//   - A failed write to standard output (a full disk, /dev/full, a closed descriptor) is an error that
//     names its cause: WriteError, which the CLI reports as `error: ...` with exit status 2.
//   - A reader that went away (`maskviz run S | head`) ends the program quietly, as SIGPIPE would.
//   - Writing to standard error never throws and never aborts: when even the error line cannot be
//     written, the exit status is all that is left to say it.
#pragma once

#include <ostream>
#include <streambuf>
#include <string>
#include <string_view>

#include "core/errors.h"

namespace maskviz::io {

// A file or stream could not be read or written; the message names it and the system's reason.
class WriteError : public UsageError {
 public:
  using UsageError::UsageError;
};

// Writes all of `text` to `fd`, retrying short writes and EINTR. Throws WriteError naming `what`
// ("standard output", "\"trace.json\"") and strerror(errno); on EPIPE ends the program as SIGPIPE does.
void write_all(int fd, std::string_view text, std::string_view what);

// write_all to standard output.
void write_stdout(std::string_view text);

// Best effort, never throws: for the one error line.
void write_stderr(std::string_view text) noexcept;

// An ostream over a file descriptor, for output too large to hold in memory first (export). Bytes go
// out in 64 KiB writes; the first failure is kept and later writes are dropped, so that finish() can
// report it once.
class FdOutput : public std::streambuf {
 public:
  FdOutput(int fd, std::string what);
  std::ostream& stream() { return stream_; }
  // Hands the rest of the buffer to the descriptor; throws WriteError if any write failed.
  void finish();

 protected:
  int_type overflow(int_type c) override;
  std::streamsize xsputn(const char* data, std::streamsize count) override;
  int sync() override;

 private:
  bool drain();  // writes the buffer out; false once a write has failed

  int fd_;
  std::string what_;
  std::string buffer_;
  std::size_t used_ = 0;
  int error_ = 0;  // errno of the first failed write
  std::ostream stream_{this};
};

}  // namespace maskviz::io
