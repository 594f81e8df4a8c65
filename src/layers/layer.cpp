#include "layers/layer.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

#include "core/errors.h"
#include "scenario/json_fields.h"

namespace maskviz {

namespace {

std::string specs_text(const std::vector<WeightSpec>& specs) {
  std::vector<std::string> parts;
  for (const auto& spec : specs) parts.push_back(fmt::format("{} {}", spec.name, shape_text(spec.shape)));
  return fmt::format("{}", fmt::join(parts, ", "));
}

}  // namespace

void Layer::load_weights(const Json* given, const std::string& pointer, std::uint64_t seed,
                         std::size_t layer_index) {
  const auto specs = weight_specs();
  if (given != nullptr && specs.empty())
    throw ScenarioError(pointer, fmt::format("{} has no weights; remove \"weights\"", type_));

  std::vector<const Json*> values(specs.size(), nullptr);
  std::vector<std::string> pointers(specs.size());
  if (given != nullptr && given->is_object()) {
    JsonFields fields(*given, pointer, "weights");
    for (std::size_t i = 0; i < specs.size(); ++i) {
      values[i] = fields.raw(specs[i].name);
      pointers[i] = fields.pointer_of(specs[i].name);
    }
    fields.finish();
  } else if (given != nullptr && given->is_array()) {
    if (given->size() != specs.size())
      throw ScenarioError(pointer, fmt::format("{} arrays given; expected {} in layer.get_weights() order: {}",
                                               given->size(), specs.size(), specs_text(specs)));
    for (std::size_t i = 0; i < specs.size(); ++i) {
      values[i] = &(*given)[i];
      pointers[i] = pointer_append(pointer, i);
    }
  } else if (given != nullptr) {
    throw ScenarioError(pointer, fmt::format("expected an object of weights by Keras name or a list in "
                                             "layer.get_weights() order ({}), got {}",
                                             specs_text(specs), json_kind(*given)));
  }

  weights_.clear();
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const auto& spec = specs[i];
    Weight weight{spec.name, {}, values[i] == nullptr, ""};
    if (values[i] != nullptr) {
      weight.value = read_tensor(*values[i], pointers[i], spec.shape.size(), spec.shape,
                                 fmt::format("{}'s {}", name_, spec.name));
    } else {
      Initializer init = spec.init;
      for (const auto& [name, chosen] : initializers_)
        if (name == spec.name) init = chosen;
      if (const double work = draw_work(init, spec.shape); work > kMaxDrawWork)
        throw ScenarioError(pointer, fmt::format("drawing {}'s {} {} ({}) takes {:.1e} steps, about {:.1f} s, over "
                                                 "the {:.0e} that keep a draw under a second; give \"{}\" in "
                                                 "\"weights\", or use fewer units",
                                                 name_, spec.name, shape_text(spec.shape), describe(init, spec.shape),
                                                 work, work / kDrawStepsPerSecond, kMaxDrawWork, spec.name));
      weight.value = draw_missing_ ? draw_weight(init, spec.shape, weight_stream_key(seed, layer_index, spec.name))
                                   : Tensor(spec.shape, {});  // the shape, no values: nothing drawn
      weight.initializer = describe(init, spec.shape);
    }
    weights_.push_back(std::move(weight));
  }
}

const Tensor& Layer::weight(std::string_view name) const {
  for (const auto& w : weights_)
    if (w.name == name) return w.value;
  throw std::logic_error(fmt::format("layer {} has no weight {}", name_, name));
}

MaskAction Layer::mask_action(bool arrives, RunMode) const {
  if (!arrives) return MaskAction::none;
  return supports_masking() ? MaskAction::passed_on : MaskAction::dropped;
}

std::size_t Layer::record_floats(Detail) const { return element_count(output_shape_); }

std::size_t Layer::weight_floats() const {
  std::size_t total = 0;
  for (const auto& spec : weight_specs()) total += element_count(spec.shape);
  return total;
}

void reject_input(const LayerSite& site, std::string_view expectation) {
  throw ScenarioError(site.fields.pointer_of("type"),
                      fmt::format("{} cannot follow an output of shape {}: it expects {}", site.fields.pointer().empty()
                                                                                                ? "this layer"
                                                                                                : site.name,
                                  shape_text(site.input_shape), expectation));
}

std::string default_layer_name(std::string_view type) {
  // Keras: to_snake_case(class name). "SimpleRNN" -> "simple_rnn", "GlobalAveragePooling1D" ->
  // "global_average_pooling1d", "LSTM" -> "lstm".
  std::string out;
  for (std::size_t i = 0; i < type.size(); ++i) {
    const char c = type[i];
    const bool upper = c >= 'A' && c <= 'Z';
    if (upper && i > 0) {
      const bool prev_lower = type[i - 1] >= 'a' && type[i - 1] <= 'z';
      const bool next_lower = i + 1 < type.size() && type[i + 1] >= 'a' && type[i + 1] <= 'z';
      const bool prev_upper = type[i - 1] >= 'A' && type[i - 1] <= 'Z';
      if (prev_lower || (prev_upper && next_lower)) out += '_';
    }
    out += upper ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out;
}

}  // namespace maskviz
