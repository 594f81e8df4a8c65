#include "scenario/json_fields.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <limits>

#include "core/errors.h"

namespace maskviz {

std::string pointer_append(const std::string& pointer, std::string_view key) {
  std::string out = pointer + "/";
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

std::string pointer_append(const std::string& pointer, std::size_t index) {
  return fmt::format("{}/{}", pointer, index);
}

namespace {

std::string short_text(const std::string& s) {
  constexpr std::size_t kMax = 40;
  std::string out;
  for (char c : s.substr(0, kMax)) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? '?' : c;
  }
  return s.size() > kMax ? out + "..." : out;
}

}  // namespace

std::string json_kind(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return value.get<bool>() ? "true" : "false";
    case Json::value_t::string: return fmt::format("the string \"{}\"", short_text(value.get<std::string>()));
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return fmt::format("the number {}", value.dump());
    case Json::value_t::number_float: return fmt::format("the number {}", value.get<double>());
    case Json::value_t::array: return value.empty() ? "an empty array" : "an array";
    case Json::value_t::object: return "an object";
    default: return "a value of another kind";
  }
}

JsonFields::JsonFields(const Json& object, std::string pointer, std::string_view what)
    : object_(object), pointer_(std::move(pointer)) {
  if (!object_.is_object())
    throw ScenarioError(pointer_, fmt::format("expected {} (a JSON object), got {}", what, json_kind(object_)));
}

bool JsonFields::has(std::string_view key) const { return object_.contains(std::string(key)); }

const Json* JsonFields::raw(std::string_view key) {
  read_.insert(std::string(key));
  const auto it = object_.find(std::string(key));
  return it == object_.end() ? nullptr : &*it;
}

const Json& JsonFields::required(std::string_view key, std::string_view expected) {
  const Json* value = raw(key);
  if (value == nullptr)
    throw ScenarioError(pointer_of(key), fmt::format("missing required field \"{}\"; expected {}", key, expected));
  return *value;
}

long long JsonFields::integer(std::string_view key, std::optional<long long> fallback, long long min,
                              long long max) {
  const Json* value = raw(key);
  const auto expected = max == std::numeric_limits<long long>::max()
                            ? fmt::format("an integer >= {}", min)
                            : fmt::format("an integer from {} to {}", min, max);
  if (value == nullptr) {
    if (fallback) return *fallback;
    throw ScenarioError(pointer_of(key), fmt::format("missing required field \"{}\"; expected {}", key, expected));
  }
  long long result = 0;
  if (value->is_number_integer()) {
    if (value->is_number_unsigned() && value->get<unsigned long long>() > static_cast<unsigned long long>(max))
      throw ScenarioError(pointer_of(key), fmt::format("{} is too large; expected {}", value->dump(), expected));
    result = value->get<long long>();
  } else if (value->is_number_float() && std::isfinite(value->get<double>()) &&
             value->get<double>() == std::floor(value->get<double>()) && std::fabs(value->get<double>()) < 9e15) {
    result = static_cast<long long>(value->get<double>());  // 3.0 is an integer, as in Python
  } else {
    throw ScenarioError(pointer_of(key), fmt::format("expected {}, got {}", expected, json_kind(*value)));
  }
  if (result < min || result > max)
    throw ScenarioError(pointer_of(key), fmt::format("{} is out of range; expected {}", result, expected));
  return result;
}

double JsonFields::number(std::string_view key, std::optional<double> fallback) {
  const Json* value = raw(key);
  if (value == nullptr) {
    if (fallback) return *fallback;
    throw ScenarioError(pointer_of(key), fmt::format("missing required field \"{}\"; expected a number", key));
  }
  if (!value->is_number())
    throw ScenarioError(pointer_of(key), fmt::format("expected a number, got {}", json_kind(*value)));
  const double result = value->get<double>();
  if (!std::isfinite(result) || std::fabs(result) > std::numeric_limits<float>::max())
    throw ScenarioError(pointer_of(key), "the number is not a finite float32; expected a finite number");
  return result;
}

bool JsonFields::boolean(std::string_view key, std::optional<bool> fallback) {
  const Json* value = raw(key);
  if (value == nullptr) {
    if (fallback) return *fallback;
    throw ScenarioError(pointer_of(key), fmt::format("missing required field \"{}\"; expected true or false", key));
  }
  if (!value->is_boolean())
    throw ScenarioError(pointer_of(key), fmt::format("expected true or false, got {}", json_kind(*value)));
  return value->get<bool>();
}

std::string JsonFields::string(std::string_view key, std::optional<std::string> fallback) {
  const Json* value = raw(key);
  if (value == nullptr) {
    if (fallback) return *fallback;
    throw ScenarioError(pointer_of(key), fmt::format("missing required field \"{}\"; expected a string", key));
  }
  if (!value->is_string())
    throw ScenarioError(pointer_of(key), fmt::format("expected a string, got {}", json_kind(*value)));
  return value->get<std::string>();
}

std::string JsonFields::choice(std::string_view key, std::optional<std::string> fallback,
                               const std::vector<std::string>& allowed) {
  const Json* value = raw(key);
  const auto expected = fmt::format("one of \"{}\"", fmt::join(allowed, "\", \""));
  if (value == nullptr) {
    if (fallback) return *fallback;
    throw ScenarioError(pointer_of(key), fmt::format("missing required field \"{}\"; expected {}", key, expected));
  }
  if (value->is_string()) {
    const auto text = value->get<std::string>();
    for (const auto& option : allowed)
      if (option == text) return text;
  }
  throw ScenarioError(pointer_of(key), fmt::format("unknown value {}; expected {}", json_kind(*value), expected));
}

void JsonFields::finish() const {
  for (const auto& [key, value] : object_.items()) {
    if (read_.count(key) != 0) continue;
    std::vector<std::string> known(read_.begin(), read_.end());
    throw ScenarioError(pointer_of(key), fmt::format("unknown field \"{}\"; expected one of: {}", short_text(key),
                                                     fmt::join(known, ", ")));
  }
}

namespace {

// Walks a nested array, checking it is rectangular, and appends its leaves in row-major order.
// Recursion depth is bounded by `rank`, never by the input.
template <typename Leaf>
void read_nested(const Json& value, const std::string& pointer, std::size_t depth, Shape& shape, bool shape_fixed,
                 std::string_view what, const Leaf& leaf) {
  if (depth == shape.size()) {
    leaf(value, pointer);
    return;
  }
  if (!value.is_array()) {
    throw ScenarioError(pointer, fmt::format("expected an array (axis {} of {}, rank {}), got {}", depth, what,
                                             shape.size(), json_kind(value)));
  }
  if (!shape_fixed && shape[depth] == 0) {
    if (value.empty()) throw ScenarioError(pointer, fmt::format("expected a non-empty array in {}", what));
    shape[depth] = value.size();
  }
  if (value.size() != shape[depth]) {
    throw ScenarioError(pointer, fmt::format("{} {} entries where {} were expected: {} must be {} (shape {})",
                                             shape_fixed ? "has" : "is ragged: it has", value.size(), shape[depth],
                                             what, shape_fixed ? "of shape" : "rectangular", shape_text(shape)));
  }
  for (std::size_t i = 0; i < value.size(); ++i)
    read_nested(value[i], pointer_append(pointer, i), depth + 1, shape, shape_fixed, what, leaf);
}

}  // namespace

Tensor read_tensor(const Json& value, const std::string& pointer, std::size_t rank,
                   const std::optional<Shape>& expected, std::string_view what) {
  Shape shape = expected ? *expected : Shape(rank, 0);
  std::vector<float> values;
  read_nested(value, pointer, 0, shape, expected.has_value(), what, [&](const Json& leaf, const std::string& at) {
    if (!leaf.is_number())
      throw ScenarioError(at, fmt::format("expected a number in {}, got {}", what, json_kind(leaf)));
    const double number = leaf.get<double>();
    if (!std::isfinite(number) || std::fabs(number) > std::numeric_limits<float>::max())
      throw ScenarioError(at, fmt::format("{} is not a finite float32; expected a finite number", leaf.dump()));
    values.push_back(static_cast<float>(number));
  });
  return Tensor(shape, std::move(values));
}

Tensor read_token_tensor(const Json& value, const std::string& pointer) {
  Shape shape(2, 0);
  std::vector<float> values;
  read_nested(value, pointer, 0, shape, false, "input.tokens [batch, time]", [&](const Json& leaf, const std::string& at) {
    const bool integral_float = leaf.is_number_float() && std::isfinite(leaf.get<double>()) &&
                                leaf.get<double>() == std::floor(leaf.get<double>());
    if (!leaf.is_number_integer() && !integral_float)
      throw ScenarioError(at, fmt::format("expected an integer token id, got {}", json_kind(leaf)));
    const double id = leaf.get<double>();
    // Token ids are exact in float32 up to 2^24, which bounds every vocabulary maskviz accepts.
    if (id < 0 || id >= 16777216.0)
      throw ScenarioError(at, fmt::format("token id {} is out of range; expected an integer from 0 to 16777215",
                                          leaf.dump()));
    values.push_back(static_cast<float>(id));
  });
  return Tensor(shape, std::move(values));
}

}  // namespace maskviz
