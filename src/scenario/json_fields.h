// Reading a JSON object field by field, each error naming the JSON pointer of what is wrong.
// Every key must be read (or explicitly allowed) before finish(): an unknown key is an error, so that a
// typo like "mask_zeros" can never quietly change what a learner is taught.
#pragma once

#include <nlohmann/json.hpp>

#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/tensor.h"

namespace maskviz {

using Json = nlohmann::json;

std::string pointer_append(const std::string& pointer, std::string_view key);  // escapes ~ and /
std::string pointer_append(const std::string& pointer, std::size_t index);
std::string json_kind(const Json& value);  // "a string", "the number 3.5", "an array", ...
// Text from the scenario made safe to print: at most 40 characters, control characters as '?'.
std::string short_text(const std::string& s);

class JsonFields {
 public:
  // Throws ScenarioError unless `object` is a JSON object. `what` names it in that error ("a layer").
  JsonFields(const Json& object, std::string pointer, std::string_view what);

  const std::string& pointer() const { return pointer_; }
  std::string pointer_of(std::string_view key) const { return pointer_append(pointer_, key); }
  bool has(std::string_view key) const;

  // Each reader marks the key as read. Without a default the field is required.
  const Json* raw(std::string_view key);  // nullptr when absent
  const Json& required(std::string_view key, std::string_view expected);
  long long integer(std::string_view key, std::optional<long long> fallback, long long min, long long max);
  double number(std::string_view key, std::optional<double> fallback);
  bool boolean(std::string_view key, std::optional<bool> fallback);
  std::string string(std::string_view key, std::optional<std::string> fallback);
  std::string choice(std::string_view key, std::optional<std::string> fallback,
                     const std::vector<std::string>& allowed);

  // Throws on the first key that nothing read: "did you mean" the accepted key of a near name, or else
  // the list of what this object accepts.
  void finish() const;

 private:
  [[noreturn]] void missing(std::string_view key, std::string_view expected) const;

  const Json& object_;
  std::string pointer_;
  std::set<std::string, std::less<>> read_;
};

std::size_t edit_distance(std::string_view a, std::string_view b);
// The keys a layer object may hold, every layer type's config keys among them: the one list a layer
// with a config key maskviz has never read adds it to (it decides what counts as a typo).
const std::vector<std::string>& layer_fields();
// Whether `key` is a field name somewhere in the scenario format (so never taken for another's typo).
bool is_format_field(std::string_view key);

// A nested JSON array of numbers as a float32 tensor. `expected` fixes the shape when given (every
// dimension checked); otherwise the array must be rectangular of rank `rank`. Non-finite numbers and
// numbers outside float32's range are errors.
Tensor read_tensor(const Json& value, const std::string& pointer, std::size_t rank,
                   const std::optional<Shape>& expected, std::string_view what);

// Integer token ids [batch, time]; each within [0, limit) when limit > 0.
Tensor read_token_tensor(const Json& value, const std::string& pointer);

}  // namespace maskviz
