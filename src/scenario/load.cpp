// Scenario loading: JSON text -> a validated Scenario, or one ScenarioError naming the JSON pointer.
// Validation does nothing else: no layer runs here.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <map>
#include <set>

#include "core/errors.h"
#include "engine/graph_plan.h"
#include "layers/embedding.h"
#include "scenario/json_fields.h"
#include "scenario/keras_arguments.h"
#include "scenario/scenario.h"

namespace maskviz {

namespace {

constexpr std::size_t kMaxJsonDepth = 64;

// nlohmann's messages name its own internals; a learner gets the position and the plain reason.
[[noreturn]] void throw_syntax_error(const std::string& text, std::size_t byte_1based) {
  std::size_t line = 1, column = 1;
  const std::size_t end = std::min(text.size(), byte_1based == 0 ? 0 : byte_1based - 1);
  for (std::size_t i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  std::string reason;
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    reason = "the file is empty; expected a JSON object";
  } else if (byte_1based > text.size()) {
    reason = "unexpected end of input; expected the rest of the JSON document";
  } else {
    const auto c = static_cast<unsigned char>(text[byte_1based - 1]);
    reason = (c >= 0x20 && c < 0x7f)
                 ? fmt::format("unexpected character '{}'; expected valid JSON", static_cast<char>(c))
                 : fmt::format("unexpected byte 0x{:02x}; expected valid JSON in UTF-8", c);
  }
  throw ScenarioError("", fmt::format("invalid JSON at line {}, column {}: {}", line, column, reason));
}

// Follows the parser through the document so that an error found while parsing can name its JSON
// pointer: the position of the next value, and the keys already seen in each open object.
class ParsePath {
 public:
  // A problem throws ScenarioError.
  void on_event(Json::parse_event_t event, const Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start:
        if (frames_.size() >= kMaxJsonDepth)
          throw ScenarioError(next_pointer(), fmt::format("JSON nested deeper than {} levels; a scenario never "
                                                          "needs that", kMaxJsonDepth));
        frames_.push_back({event == Json::parse_event_t::object_start, next_pointer(), "", 0, {}});
        break;
      case Json::parse_event_t::key: {
        Frame& frame = frames_.back();
        frame.key = parsed.get<std::string>();
        if (!frame.keys.insert(frame.key).second)
          throw ScenarioError(pointer_append(frame.pointer, frame.key),
                              fmt::format("field \"{}\" appears twice in this object; expected each field once",
                                          frame.key));
        break;
      }
      case Json::parse_event_t::object_end:
      case Json::parse_event_t::array_end:
        frames_.pop_back();
        value_done();
        break;
      case Json::parse_event_t::value:
        value_done();
        break;
    }
  }

  // Where the value being parsed now belongs.
  std::string next_pointer() const {
    if (frames_.empty()) return "";
    const Frame& frame = frames_.back();
    return frame.object ? pointer_append(frame.pointer, frame.key) : pointer_append(frame.pointer, frame.index);
  }

 private:
  struct Frame {
    bool object = false;
    std::string pointer;
    std::string key;        // objects: the key of the value being parsed
    std::size_t index = 0;  // arrays: the index of the value being parsed
    std::set<std::string, std::less<>> keys;
  };
  void value_done() {
    if (!frames_.empty() && !frames_.back().object) ++frames_.back().index;
  }
  std::vector<Frame> frames_;
};

Json parse_json(const std::string& text) {
  ParsePath path;
  try {
    return Json::parse(text, [&path](int, Json::parse_event_t event, Json& parsed) {
      path.on_event(event, parsed);
      return true;
    });
  } catch (const Json::parse_error& e) {
    throw_syntax_error(text, e.byte);
  } catch (const Json::out_of_range&) {
    // The one such error parsing can raise: a number beyond double's range, such as 1e400.
    throw ScenarioError(path.next_pointer(), "a number beyond the range of a double; expected a finite number "
                                             "within float32's range (about 3.4e38)");
  }
}

ModelInput read_one_input(const Json& value, const std::string& pointer, std::string name) {
  JsonFields input(value, pointer, pointer == "/input" ? "the input" : "a model input");
  const Json* tokens = input.raw("tokens");
  const Json* values = input.raw("values");
  input.finish();
  if ((tokens == nullptr) == (values == nullptr))
    throw ScenarioError(pointer, "expected exactly one of \"tokens\" (integer ids [batch, time]) or \"values\" "
                                 "(numbers [batch, time, features])");
  if (tokens != nullptr) return {std::move(name), pointer, true, read_token_tensor(*tokens, pointer + "/tokens")};
  return {std::move(name), pointer, false,
          read_tensor(*values, pointer + "/values", 3, std::nullopt, "input.values [batch, time, features]")};
}

// "input" (one model input, named "input"), or "inputs": {NAME: {"tokens"|"values": ...}, ...}.
std::vector<ModelInput> read_inputs(JsonFields& top) {
  const Json* named = top.raw("inputs");
  if (named == nullptr)
    return {read_one_input(top.required("input", "an object with \"tokens\" or \"values\""), "/input", "input")};
  if (top.raw("input") != nullptr)
    throw ScenarioError("/inputs", "expected either \"input\" (one model input) or \"inputs\" (named model inputs), "
                                   "not both");
  if (!named->is_object() || named->empty())
    throw ScenarioError("/inputs", fmt::format("expected an object of named model inputs {{\"NAME\": {{\"tokens\" or "
                                               "\"values\": ...}}}}, got {}", json_kind(*named)));
  std::vector<ModelInput> inputs;
  for (const auto& [name, value] : named->items()) {
    const std::string pointer = pointer_append("/inputs", name);
    inputs.push_back(read_one_input(value, pointer, name));
    if (inputs.back().values.dim(0) != inputs.front().values.dim(0))
      throw ScenarioError(pointer, fmt::format("batch size {} differs from the batch size {} of \"{}\"; every model "
                                               "input needs the same batch", inputs.back().values.dim(0),
                                               inputs.front().values.dim(0), short_text(inputs.front().name)));
  }
  return inputs;
}

// An unknown field a letter or two away from a known one that is absent is most likely a typo. Checked
// before anything reads the object, so that the learner is told of the typo rather than of what it caused.
void check_typos(const Json& object, const std::string& pointer, const std::vector<std::string>& accepted) {
  if (!object.is_object()) return;
  for (const auto& [key, value] : object.items()) {
    if (std::find(accepted.begin(), accepted.end(), key) != accepted.end()) continue;
    for (const auto& known : accepted) {
      if (object.contains(known) || edit_distance(key, known) > 2) continue;
      throw ScenarioError(pointer_append(pointer, key),
                          fmt::format("unknown field \"{}\"; did you mean \"{}\"?", short_text(key), known));
    }
  }
}

void check_tokens(const ModelInput& input, const EmbeddingLayer& embedding) {
  const std::size_t T = input.values.dim(1);
  for (std::size_t i = 0; i < input.values.size(); ++i) {
    const auto id = static_cast<std::size_t>(input.values.values[i]);
    if (id >= embedding.input_dim())
      throw ScenarioError(fmt::format("{}/tokens/{}/{}", input.pointer, i / T, i % T),
                          fmt::format("token id {} is out of range: the Embedding has input_dim {}, so ids must be "
                                      "in [0, {})", id, embedding.input_dim(), embedding.input_dim()));
  }
}

LossSpec read_loss(const Json& value) {
  LossSpec spec;
  if (value.is_string()) {
    const auto& names = loss_names();
    const auto name = value.get<std::string>();
    const auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end())
      throw ScenarioError("/loss", fmt::format("unknown loss \"{}\"; expected one of \"{}\" or an object {{\"name\": "
                                               "..., \"from_logits\": ...}}", short_text(name), fmt::join(names, "\", \"")));
    spec.kind = static_cast<LossKind>(it - names.begin());
    return spec;
  }
  JsonFields fields(value, "/loss", "a loss name or an object {\"name\": ..., \"from_logits\": ...}");
  const auto name = fields.choice("name", std::nullopt, loss_names());
  spec.kind = static_cast<LossKind>(std::find(loss_names().begin(), loss_names().end(), name) - loss_names().begin());
  // Keras' MeanSquaredError and MeanAbsoluteError take no from_logits at all: passing it, even false, is
  // a TypeError there (unexpected keyword argument), so a scenario that says it is refused the same way.
  if ((spec.kind == LossKind::mse || spec.kind == LossKind::mae) && fields.raw("from_logits") != nullptr)
    throw ScenarioError("/loss/from_logits", fmt::format("{} takes no from_logits: Keras refuses the argument "
                                                         "(TypeError, unexpected keyword argument); remove it",
                                                         name));
  spec.from_logits = fields.boolean("from_logits", false);
  fields.finish();
  return spec;
}

// How many arrays are nested at the start of `value`: 2 for [[1, 2]].
std::size_t nesting(const Json& value) {
  std::size_t depth = 0;
  for (const Json* v = &value; v->is_array() && !v->empty(); v = &(*v)[0]) ++depth;
  return depth;
}

Tensor read_target(const Json& value, const Shape& output_shape, const LossSpec& loss) {
  // One axis short of an output whose last axis is 1: taken as it is; the loss squeezes or expands as
  // Keras' losses do (loss/loss.cpp).
  if (loss.kind != LossKind::sparse_categorical_crossentropy && output_shape.back() == 1 &&
      nesting(value) + 1 == output_shape.size()) {
    const Shape short_shape(output_shape.begin(), output_shape.end() - 1);
    return read_tensor(value, "/target", short_shape.size(), short_shape,
                       fmt::format("the target (the last layer's output shape {}, or {})", shape_text(output_shape),
                                   shape_text(short_shape)));
  }
  if (loss.kind != LossKind::sparse_categorical_crossentropy) {
    return read_tensor(value, "/target", output_shape.size(), output_shape,
                       fmt::format("the target (the last layer's output shape {})", shape_text(output_shape)));
  }
  // Integer class ids: the output's shape without its class axis (a trailing axis of 1 is squeezed, as Keras does).
  Shape class_shape(output_shape.begin(), output_shape.end() - 1);
  const std::size_t classes = output_shape.back();
  Tensor target;
  try {
    target = read_tensor(value, "/target", class_shape.size(), class_shape,
                         fmt::format("the target (class ids of shape {})", shape_text(class_shape)));
  } catch (const ScenarioError& plain_shape_error) {
    Shape with_trailing_one = class_shape;
    with_trailing_one.push_back(1);
    try {
      target = read_tensor(value, "/target", with_trailing_one.size(), with_trailing_one, "the target");
      target.shape = class_shape;
    } catch (const ScenarioError&) {
      throw plain_shape_error;  // the plain class shape is the one to explain
    }
  }
  for (std::size_t i = 0; i < target.size(); ++i) {
    const float id = target.values[i];
    if (id != std::floor(id) || id < 0 || id >= static_cast<float>(classes)) {
      std::string at = "/target";
      std::size_t rest = i;
      for (std::size_t axis = 0; axis < class_shape.size(); ++axis) {
        std::size_t stride = 1;
        for (std::size_t a = axis + 1; a < class_shape.size(); ++a) stride *= class_shape[a];
        at += fmt::format("/{}", rest / stride);
        rest %= stride;
      }
      throw ScenarioError(at, fmt::format("class id {} is not valid; expected an integer in [0, {}) for "
                                          "sparse_categorical_crossentropy", id, classes));
    }
  }
  return target;
}

// A size in the unit that keeps it readable, rounded up to a tenth, so that a need just over a limit
// reads as larger than the limit ("1.1 KiB, over the memory limit of 1.0 KiB"), never as the same figure.
std::string size_text(double bytes) {
  if (bytes < 1024) return fmt::format("{:.0f} bytes", std::ceil(bytes));
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  std::size_t unit = 0;
  double value = bytes / 1024;
  while (value >= 1024 && unit + 1 < std::size(units)) {
    value /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", std::ceil(value * 10) / 10, units[unit]);
}

}  // namespace

std::size_t estimated_bytes(const Scenario& s, Detail detail) {
  // The scenario holds the input and weights once; each run's record holds a copy of both, and its own record.
  double floats = 0;
  for (const auto& input : s.inputs) floats += static_cast<double>(input.values.size()) * 3;
  for (const auto& layer : s.layers)
    floats += 3.0 * static_cast<double>(layer->weight_floats()) + 2.0 * static_cast<double>(layer->record_floats(detail));
  return static_cast<std::size_t>(floats * sizeof(float));
}

Detail default_detail(const Scenario& s) {
  constexpr std::size_t kFullRecordBudget = std::size_t{256} << 20;  // beyond this, a full record helps nobody
  return estimated_bytes(s, Detail::full) <= kFullRecordBudget ? Detail::full : Detail::steps;
}

namespace {

// Every layer in turn: its name (Keras' defaults), its factory, its weights, the memory they take.
void read_layers(JsonFields& top, Scenario& s, const LoadOptions& options) {
  const Json& layers = top.required("layers", "a non-empty list of layers");
  if (!layers.is_array() || layers.empty())
    throw ScenarioError("/layers", fmt::format("expected a non-empty list of layers, got {}", json_kind(layers)));

  NameTable table;
  for (const auto& input : s.inputs) table.inputs.push_back(input.name);
  std::vector<std::string> given_names, layer_pointers;
  for (const auto& layer : layers)
    if (layer.is_object() && layer.contains("name") && layer["name"].is_string()) given_names.push_back(layer["name"]);
  std::set<std::string> names(table.inputs.begin(), table.inputs.end());
  std::map<std::string, int> type_counts;
  double weight_bytes = 0;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const std::string pointer = pointer_append("/layers", i);
    layer_pointers.push_back(pointer);
    if (i > 0 && s.layers.back()->returns_state())
      throw ScenarioError(pointer_append(pointer_append("/layers", i - 1), "return_state"),
                          "a layer with return_state gives a list (output and states), and a Sequential stack "
                          "cannot go on from a list; expected return_state only on the last layer");
    check_typos(layers[i], pointer, layer_fields());
    JsonFields fields(layers[i], pointer, "a layer");
    // Names default as Keras does: "lstm", then "lstm_1", ... per type, counting only the layers that were
    // named automatically (Keras' auto_name draws a number only for those).
    const std::string type = fields.choice("type", std::nullopt, known_layer_types());
    std::string default_name;
    if (!fields.has("name")) {
      const int seen = type_counts[type]++;
      default_name = default_layer_name(type) + (seen > 0 ? fmt::format("_{}", seen) : "");
    }
    const std::string name = fields.string("name", default_name);
    if (name.empty()) throw ScenarioError(fields.pointer_of("name"), "expected a non-empty layer name");
    // The name is printed in every trace: no control character may reach the terminal through it.
    if (std::any_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
      throw ScenarioError(fields.pointer_of("name"), "the layer name holds a control character; expected printable "
                                                     "text");
    if (!names.insert(name).second)
      throw ScenarioError(fields.has("name") ? fields.pointer_of("name") : fields.pointer_of("type"),
                          std::find(table.inputs.begin(), table.inputs.end(), name) != table.inputs.end()
                              ? fmt::format("a layer named \"{}\" like a model input; Keras requires unique names", name)
                              : fmt::format("a second layer named \"{}\"; Keras requires unique layer names", name));
    LayerWiring wiring = read_wiring(fields.raw("inputs"), fields.pointer_of("inputs"), type, i, table, given_names);
    LayerSite site{fields, i, name, {}, false};
    for (const NodeRef& source : wiring.sources) {
      site.input_shapes.push_back(source.model_input ? s.inputs[source.index].values.shape
                                                     : s.layers[source.index]->output_shape());
      if (site.input_shapes.size() == 1) site.input_is_tokens = source.model_input && s.inputs[source.index].tokens;
    }
    site.input_shape = site.input_shapes.front();
    site.input_roles = wiring.roles;
    auto layer = make_layer(site);
    read_keras_arguments(fields, *layer);
    layer->set_draw_missing(options.draw_weights);
    weight_bytes += static_cast<double>(layer->weight_floats()) * sizeof(float);
    if (weight_bytes > static_cast<double>(options.max_memory_bytes))
      throw ScenarioError(fields.pointer(), fmt::format("the weights up to layer \"{}\" need about {}, over the "
                                                        "memory limit of {}; use smaller layers or raise --max-memory",
                                                        name, size_text(weight_bytes),
                                                        size_text(static_cast<double>(options.max_memory_bytes))));
    layer->load_weights(fields.raw("weights"), fields.pointer_of("weights"), s.seed, i);
    fields.finish();
    if (const auto* embedding = dynamic_cast<const EmbeddingLayer*>(layer.get());
        embedding != nullptr && wiring.sources.front().model_input && s.inputs[wiring.sources.front().index].tokens)
      check_tokens(s.inputs[wiring.sources.front().index], *embedding);
    table.layers.push_back(name);
    s.wiring.push_back(std::move(wiring));
    s.layers.push_back(std::move(layer));
  }
  std::vector<std::string> input_pointers, layer_names;
  for (const auto& input : s.inputs) input_pointers.push_back(input.pointer);
  for (const auto& layer : s.layers) layer_names.push_back(layer->name());
  check_dangling(s.wiring, s.inputs.size(), input_pointers, layer_pointers, layer_names);
  s.execution_order = execution_order(s.wiring);
}

// A layer Keras would raise at when the mask reaches it (Softmax on shapes that do not broadcast).
void check_mask_refusals(const Scenario& s) {
  const GraphPlan plan = plan_graph_masks(s, RunMode::masked);
  for (std::size_t i = 0; i < s.layers.size(); ++i)
    if (plan.actions[i] != MaskAction::none)
      if (const std::string why = s.layers[i]->refuses_mask(); !why.empty())
        throw ScenarioError(pointer_append("/layers", i), why);
}

// The weights and the record of both runs at the chosen detail, against the memory limit.
void check_memory(const Scenario& s, const LoadOptions& options) {
  const Detail detail = options.detail.value_or(default_detail(s));
  const double needed = static_cast<double>(estimated_bytes(s, detail));
  if (needed > static_cast<double>(options.max_memory_bytes)) {
    std::size_t biggest = 0;
    for (std::size_t i = 1; i < s.layers.size(); ++i)
      if (s.layers[i]->record_floats(detail) > s.layers[biggest]->record_floats(detail)) biggest = i;
    throw ScenarioError(pointer_append("/layers", biggest),
                        fmt::format("running this scenario needs about {} for the weights and the {}-detail record of "
                                    "both runs, most of it for layer \"{}\", over the memory limit of {}; use a "
                                    "smaller batch or fewer steps, --detail outputs, or raise --max-memory",
                                    size_text(needed), detail_name(detail), s.layers[biggest]->name(),
                                    size_text(static_cast<double>(options.max_memory_bytes))));
  }
}

}  // namespace

Scenario load_scenario(const std::string& text, const std::string& source, const LoadOptions& options) {
  const Json doc = parse_json(text);
  check_typos(doc, "", {"maskviz", "name", "description", "seed", "input", "inputs", "layers", "target", "loss", "train"});
  JsonFields top(doc, "", "a scenario");
  Scenario s;
  s.source = source;
  if (const Json* version = top.raw("maskviz"); version != nullptr && !(version->is_number() && *version == 1))
    throw ScenarioError("/maskviz", fmt::format("unsupported format version {}; expected 1", json_kind(*version)));
  s.name = top.string("name", "");
  s.description = top.string("description", "");
  s.seed = static_cast<std::uint64_t>(top.integer("seed", 0, 0, (1LL << 53) - 1));

  s.inputs = read_inputs(top);
  s.tokens = s.inputs.front().tokens;
  s.input = s.inputs.front().values;

  read_layers(top, s, options);
  check_mask_refusals(s);

  const Json* target = top.raw("target");
  const Json* loss = top.raw("loss");
  if ((target == nullptr) != (loss == nullptr))
    throw ScenarioError(target == nullptr ? "/loss" : "/target",
                        target == nullptr ? "a loss needs a target; expected \"target\" beside \"loss\""
                                          : "a target needs a loss; expected \"loss\" beside \"target\"");
  if (loss != nullptr) {
    s.loss = read_loss(*loss);
    s.target = read_target(*target, s.layers.back()->output_shape(), *s.loss);
  }
  s.train = read_train(top);
  top.finish();

  check_memory(s, options);
  return s;
}

}  // namespace maskviz
