#include "scenario/json_fields.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <set>
#include <vector>

#include "core/errors.h"

namespace maskviz {

namespace {
// How far a name may be from a known one to be offered as "did you mean".
constexpr std::size_t kTypoDistance = 2;
}  // namespace

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

std::string short_text(const std::string& s) {
  constexpr std::size_t kMax = 40;
  std::string out;
  for (char c : s.substr(0, kMax)) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? '?' : c;
  }
  return s.size() > kMax ? out + "..." : out;
}

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
    missing(key, expected);
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
    missing(key, expected);
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
    missing(key, "a number");
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
    missing(key, "true or false");
  }
  if (!value->is_boolean())
    throw ScenarioError(pointer_of(key), fmt::format("expected true or false, got {}", json_kind(*value)));
  return value->get<bool>();
}

std::string JsonFields::string(std::string_view key, std::optional<std::string> fallback) {
  const Json* value = raw(key);
  if (value == nullptr) {
    if (fallback) return *fallback;
    missing(key, "a string");
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
    missing(key, expected);
  }
  if (!value->is_string())
    throw ScenarioError(pointer_of(key), fmt::format("expected {}, got {}", expected, json_kind(*value)));
  const auto text = value->get<std::string>();
  for (const auto& option : allowed)
    if (option == text) return text;
  // "Lstm" for "LSTM": compare without case, then allow a typo or two, as for unknown field names.
  const auto lower = [](std::string_view v) {
    std::string out(v);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  for (const auto& option : allowed)
    if (edit_distance(lower(text), lower(option)) <= kTypoDistance)
      throw ScenarioError(pointer_of(key), fmt::format("unknown value \"{}\"; did you mean \"{}\"? expected {}",
                                                       short_text(text), option, expected));
  throw ScenarioError(pointer_of(key), fmt::format("unknown value \"{}\"; expected {}", short_text(text), expected));
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

const std::vector<std::string>& layer_fields() {
  static const std::vector<std::string> names = {
      "type", "name", "weights", "units", "activation", "use_bias", "return_sequences", "return_state",
      "go_backwards", "mask_zero", "mask_value", "input_dim", "output_dim", "merge_mode", "layer", "rate",
      "recurrent_activation", "unit_forget_bias", "reset_after", "zero_output_for_mask",
      // Models with branches and the attention-era layers.
      "inputs", "num_heads", "key_dim", "value_dim", "output_shape", "use_causal_mask", "attention_mask",
      "return_attention_scores", "dropout", "use_scale", "score_mode", "epsilon", "center", "scale", "axis"};
  return names;
}

bool is_format_field(std::string_view key) {
  static const std::set<std::string, std::less<>> names = [] {
    std::set<std::string, std::less<>> out = {"maskviz", "name", "description", "seed", "input", "tokens", "values",
                                              "layers", "target", "loss", "from_logits", "kernel", "recurrent_kernel",
                                              "bias", "embeddings", "forward", "backward", "train", "optimizer",
                                              "learning_rate", "beta_1", "beta_2", "epsilon", "weight_decay"};
    out.insert(layer_fields().begin(), layer_fields().end());
    return out;
  }();
  return names.count(key) != 0;
}

void JsonFields::missing(std::string_view key, std::string_view expected) const {
  // A required field that is missing beside an unknown one of a similar name is most likely a typo:
  // point at the typo rather than at the absence.
  for (const auto& [present, value] : object_.items()) {
    if (read_.count(present) == 0 && !is_format_field(present) && edit_distance(present, key) <= kTypoDistance)
      throw ScenarioError(pointer_of(present),
                          fmt::format("unknown field \"{}\"; did you mean \"{}\"?", short_text(present), key));
  }
  throw ScenarioError(pointer_of(key), fmt::format("missing required field \"{}\"; expected {}", key, expected));
}

void JsonFields::finish() const {
  for (const auto& [key, value] : object_.items()) {
    if (read_.count(key) != 0) continue;
    for (const auto& known : read_)
      if (!object_.contains(known) && edit_distance(key, known) <= kTypoDistance)
        throw ScenarioError(pointer_of(key),
                            fmt::format("unknown field \"{}\"; did you mean \"{}\"?", short_text(key), known));
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
    const std::string entries = fmt::format("{} {}", value.size(), value.size() == 1 ? "entry" : "entries");
    if (shape_fixed)
      throw ScenarioError(pointer, fmt::format("{} on axis {} where {} must have shape {}; expected {} there", entries,
                                               depth, what, shape_text(shape), shape[depth]));
    throw ScenarioError(pointer, fmt::format("a ragged array: this row has {} where the rows before have {}; "
                                             "expected {} to be rectangular", entries, shape[depth], what));
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
