#include "scenario/graph.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>

#include "core/errors.h"

namespace maskviz {

InputForm input_form(std::string_view type) {
  if (type == "Add" || type == "Concatenate") return InputForm::merge_list;
  if (type == "Attention") return InputForm::attention;
  if (type == "MultiHeadAttention") return InputForm::query_value;
  return InputForm::single;
}

namespace {

std::string form_words(InputForm form) {
  switch (form) {
    case InputForm::single: return "the name of one layer or model input";
    case InputForm::merge_list: return "a list of two or more names";
    case InputForm::attention: return "a list [query, value] or [query, value, key]";
    case InputForm::query_value: return "an object {\"query\": NAME, \"value\": NAME} with an optional \"key\"";
  }
  return "";
}

NodeRef resolve(const Json& name, const std::string& pointer, std::size_t index, const NameTable& names,
                const std::vector<std::string>& all_names) {
  if (!name.is_string())
    throw ScenarioError(pointer, fmt::format("expected a layer or model input name (a string), got {}", json_kind(name)));
  const auto text = name.get<std::string>();
  for (std::size_t i = 0; i < names.inputs.size(); ++i)
    if (names.inputs[i] == text) return {true, i};
  for (std::size_t i = 0; i < names.layers.size(); ++i)
    if (names.layers[i] == text) return {false, i};
  if (std::find(all_names.begin(), all_names.end(), text) != all_names.end())
    throw ScenarioError(pointer, fmt::format("layer \"{}\" is read before it is defined (layer {} reads it); a layer "
                                             "may read only the model inputs and the layers listed before it",
                                             short_text(text), index));
  std::vector<std::string> known = names.inputs;
  known.insert(known.end(), names.layers.begin(), names.layers.end());
  throw ScenarioError(pointer, fmt::format("no model input or earlier layer is named \"{}\"; expected one of: {}",
                                           short_text(text), fmt::join(known, ", ")));
}

}  // namespace

LayerWiring read_wiring(const Json* inputs, const std::string& pointer, std::string_view type, std::size_t index,
                        const NameTable& names, const std::vector<std::string>& all_names) {
  const InputForm form = input_form(type);
  LayerWiring w;
  auto add = [&](const Json& name, const std::string& at, std::string role) {
    w.sources.push_back(resolve(name, at, index, names, all_names));
    w.names.push_back(name.get<std::string>());
    w.roles.push_back(std::move(role));
    w.pointers.push_back(at);
  };
  if (inputs == nullptr) {
    if (form != InputForm::single)
      throw ScenarioError(pointer, fmt::format("{} reads several tensors; expected \"inputs\": {}", type, form_words(form)));
    // Sequential: the layer before, or the (first) model input.
    const std::string previous = index == 0 ? names.inputs.front() : names.layers.back();
    w.sources.push_back(index == 0 ? NodeRef{true, 0} : NodeRef{false, index - 1});
    w.names.push_back(previous);
    w.roles.emplace_back();
    w.pointers.push_back(pointer);
    return w;
  }
  const auto wrong = [&] {
    return ScenarioError(pointer, fmt::format("{} takes {}; got {}", type, form_words(form), json_kind(*inputs)));
  };
  switch (form) {
    case InputForm::single:
      if (!inputs->is_string()) throw wrong();
      add(*inputs, pointer, "");
      break;
    case InputForm::merge_list:
    case InputForm::attention: {
      if (!inputs->is_array()) throw wrong();
      const std::size_t lo = 2, hi = form == InputForm::attention ? 3 : 64;
      if (inputs->size() < lo || inputs->size() > hi) throw wrong();
      static const char* attention_roles[] = {"query", "value", "key"};
      for (std::size_t i = 0; i < inputs->size(); ++i)
        add((*inputs)[i], pointer_append(pointer, i), form == InputForm::attention ? attention_roles[i] : "");
      break;
    }
    case InputForm::query_value: {
      JsonFields fields(*inputs, pointer, "MultiHeadAttention's inputs {\"query\", \"value\", \"key\"?}");
      add(fields.required("query", "the name the query is read from"), fields.pointer_of("query"), "query");
      add(fields.required("value", "the name the value is read from"), fields.pointer_of("value"), "value");
      if (const Json* key = fields.raw("key")) add(*key, fields.pointer_of("key"), "key");
      fields.finish();
      break;
    }
  }
  return w;
}

void check_dangling(const std::vector<LayerWiring>& wiring, std::size_t model_inputs,
                    const std::vector<std::string>& input_pointers, const std::vector<std::string>& layer_pointers,
                    const std::vector<std::string>& layer_names) {
  std::vector<bool> input_read(model_inputs, false), layer_read(wiring.size(), false);
  for (const auto& w : wiring)
    for (const auto& s : w.sources) (s.model_input ? input_read : layer_read)[s.index] = true;
  for (std::size_t i = 0; i + 1 < wiring.size(); ++i)
    if (!layer_read[i])
      throw ScenarioError(layer_pointers[i], fmt::format("no layer reads the output of \"{}\", and it is not the last "
                                                         "layer (the model's output): a dangling branch; expected a "
                                                         "later layer to name it in \"inputs\"", layer_names[i]));
  for (std::size_t i = 0; i < model_inputs; ++i)
    if (!input_read[i])
      throw ScenarioError(input_pointers[i], "no layer reads this model input; expected a layer to name it in "
                                             "\"inputs\"");
}

std::vector<std::size_t> execution_order(const std::vector<LayerWiring>& wiring) {
  // _build_map: depth-first from the output, inputs in call order, post-order.
  std::vector<std::size_t> post_order;
  std::vector<bool> finished(wiring.size(), false);
  auto visit = [&](auto&& self, std::size_t layer) -> void {
    if (finished[layer]) return;
    for (const auto& s : wiring[layer].sources)
      if (!s.model_input) self(self, s.index);  // sources are always earlier layers: no cycle can form
    finished[layer] = true;
    post_order.push_back(layer);
  };
  visit(visit, wiring.size() - 1);

  // map_graph: depths from the output back, remembered in the order first met (a Python dict).
  std::vector<std::size_t> met;
  std::map<std::size_t, std::size_t> depth;
  auto set_depth = [&](std::size_t layer, std::size_t d) {
    if (!depth.count(layer)) met.push_back(layer);
    depth[layer] = std::max(depth[layer], d);
  };
  for (auto it = post_order.rbegin(); it != post_order.rend(); ++it) {
    if (!depth.count(*it)) set_depth(*it, 0);
    for (const auto& s : wiring[*it].sources)
      if (!s.model_input) set_depth(s.index, depth[*it] + 1);
  }
  // _run_through_graph: deepest first; within a depth, in the order met.
  std::size_t deepest = 0;
  for (const auto& [layer, d] : depth) deepest = std::max(deepest, d);
  std::vector<std::size_t> order;
  for (std::size_t d = deepest + 1; d-- > 0;)
    for (std::size_t layer : met)
      if (depth[layer] == d) order.push_back(layer);
  return order;
}

}  // namespace maskviz
