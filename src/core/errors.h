// The two ways maskviz refuses to go on. Both end in exactly one `error:` line and exit status 2,
// printed at one catch site (cli/main.cpp).
#pragma once

#include <stdexcept>
#include <string>

namespace maskviz {

// Something in the scenario is wrong. `pointer` is the RFC 6901 JSON pointer of the offending value
// ("" for the whole document); the message says what is wrong and what was expected.
class ScenarioError : public std::runtime_error {
 public:
  ScenarioError(std::string pointer, const std::string& message)
      : std::runtime_error(message), pointer_(std::move(pointer)) {}
  const std::string& pointer() const { return pointer_; }

 private:
  std::string pointer_;
};

// The command line is wrong (an option value out of range, a file that cannot be read).
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace maskviz
