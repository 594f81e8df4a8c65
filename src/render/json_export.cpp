// `maskviz export`: the whole trace as JSON, streamed as it is written (see json_writer.h), read from the
// record alone. The layout is documented in docs/trace-format.md and checked by docs/trace.schema.json;
// the names of ../shared/spec/cli-and-trace.md are the floor and are never renamed.
//
// Map of the document: trace -> scenario, runs[masked, unmasked] -> layers -> steps / lookups /
// reductions / sublayers (the record's payload, by kind: lists_of); run -> loss. One function per
// level below, in that order.
//
// Dimension letters: B batch, T time, D input features, H units, G gates.
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/overloaded.h"
#include "core/version.h"
#include "grad/grad_record.h"
#include "render/json_export_grad.h"
#include "render/json_writer.h"
#include "render/render.h"


namespace maskviz {

namespace {

constexpr int trace_format_version = 1;

// Nested arrays of `shape` over row-major `data`; the last axis is one flat run of numbers.
void write_nested(JsonWriter& w, const Shape& shape, std::size_t axis, const float* data) {
  if (axis + 1 == shape.size()) {
    w.numbers(data, shape[axis]);
    return;
  }
  std::size_t stride = 1;
  for (std::size_t a = axis + 1; a < shape.size(); ++a) stride *= shape[a];
  w.begin_array();
  for (std::size_t i = 0; i < shape[axis]; ++i) write_nested(w, shape, axis + 1, data + i * stride);
  w.end_array();
}

void write_values(JsonWriter& w, const Shape& shape, const std::vector<float>& values) {
  if (values.size() != element_count(shape))
    throw std::logic_error("record holds " + std::to_string(values.size()) + " values for shape " + shape_text(shape));
  if (shape.empty()) {
    w.number(values[0]);
    return;
  }
  write_nested(w, shape, 0, values.data());
}

}  // namespace

// A tensor the record did not fill (a default Tensor) is null.
void write_tensor(JsonWriter& w, const Tensor& tensor) {
  if (tensor.shape.empty() && tensor.values.empty()) {
    w.null();
    return;
  }
  write_values(w, tensor.shape, tensor.values);
}

// Names are unique within each list the record keeps (gates, states, biases), so an object by name
// reads as the equations do: step["gates"]["f"].
void write_named(JsonWriter& w, const std::vector<NamedTensor>& tensors) {
  w.begin_object();
  for (const auto& named : tensors) {
    w.key(named.name);
    write_tensor(w, named.value);
  }
  w.end_object();
}

namespace {

void write_shape(JsonWriter& w, const Shape& shape) {
  w.begin_array();
  for (std::size_t d : shape) w.unsigned_integer(d);
  w.end_array();
}

void write_strings(JsonWriter& w, const std::vector<std::string>& texts) {
  w.begin_array();
  for (const auto& text : texts) w.string(text);
  w.end_array();
}

void write_flags(JsonWriter& w, const std::vector<std::uint8_t>& flags) {
  w.begin_array();
  for (std::uint8_t flag : flags) w.boolean(flag != 0);
  w.end_array();
}

// mask: [B, T], true = keep; null where there is no mask.
void write_mask(JsonWriter& w, const OptMask& mask) {
  if (!mask) {
    w.null();
    return;
  }
  w.begin_array();
  for (std::size_t b = 0; b < mask->batch; ++b) {
    w.begin_array();
    for (std::size_t t = 0; t < mask->time; ++t) w.boolean(mask->at(b, t));
    w.end_array();
  }
  w.end_array();
}

// A layer's resolved config as it is (small: never on the hot path).
void write_json(JsonWriter& w, const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::boolean: w.boolean(value.get<bool>()); break;
    case nlohmann::json::value_t::number_integer: w.integer(value.get<std::int64_t>()); break;
    case nlohmann::json::value_t::number_unsigned: w.unsigned_integer(value.get<std::uint64_t>()); break;
    case nlohmann::json::value_t::number_float: w.number(value.get<double>()); break;
    case nlohmann::json::value_t::string: w.string(value.get_ref<const std::string&>()); break;
    case nlohmann::json::value_t::array:
      w.begin_array();
      for (const auto& item : value) write_json(w, item);
      w.end_array();
      break;
    case nlohmann::json::value_t::object:
      w.begin_object();
      for (const auto& [key, item] : value.items()) {
        w.key(key);
        write_json(w, item);
      }
      w.end_object();
      break;
    default: w.null(); break;
  }
}

// Where NaN or infinities were written as null inside one object, and why: readers see
// "non_finite": null when every number is there, else {"count", "reason", "fields"}.
class NonFiniteFields {
 public:
  explicit NonFiniteFields(JsonWriter& w) : w_(w), start_(w.non_finite_count()) {}

  // Writes `key` and its value through `write`, noting the key when a NaN or infinity was nulled.
  template <typename Write>
  void field(const char* key, Write&& write) {
    const std::size_t before = w_.non_finite_count();
    w_.key(key);
    write();
    if (w_.non_finite_count() != before) fields_.push_back(key);
  }

  void write_summary(const std::string& reason) {
    w_.key("non_finite");
    const std::size_t count = w_.non_finite_count() - start_;
    if (count == 0) {
      w_.null();
      return;
    }
    w_.begin_object();
    w_.key("count");
    w_.unsigned_integer(count);
    w_.key("reason");
    w_.string(reason);
    w_.key("fields");
    w_.begin_array();
    for (const char* key : fields_) w_.string(key);
    w_.end_array();
    w_.end_object();
  }

 private:
  JsonWriter& w_;
  std::size_t start_;
  std::vector<const char*> fields_;
};

void write_product(JsonWriter& w, const Product& product) {
  w.begin_object();
  w.key("lhs_name");
  w.string(product.lhs_name);
  w.key("lhs");
  write_tensor(w, product.lhs);
  w.key("rhs_name");
  w.string(product.rhs_name);
  w.key("rhs_part");  // null: the whole weight; else the columns used, e.g. "[:, 2u:]"
  if (product.rhs_part.empty()) w.null();
  else w.string(product.rhs_part);
  w.key("result");
  write_tensor(w, product.result);
  w.end_object();
}

void write_gated_term(JsonWriter& w, const GatedTerm& term) {
  w.begin_object();
  w.key("gate");
  w.string(term.gate);
  w.key("operand_name");
  w.string(term.operand_name);
  w.key("operand_formula");
  w.string(term.operand_formula);
  w.key("operand");
  write_tensor(w, term.operand);
  w.key("result");  // gate ⊙ operand
  write_tensor(w, term.result);
  w.key("column");  // where result starts among the G*H pre-activation columns
  w.unsigned_integer(term.column);
  w.end_object();
}

// One step of one sequence (recurrent layers) or one row (Dense). What is in it depends on the detail:
// `steps` keeps the flags, the kept states and the output; `full` adds every operand and intermediate.
void write_step(JsonWriter& w, const StepRecord& step, Detail detail, const StepGradient* grad) {
  w.begin_object();
  w.key("batch");
  w.unsigned_integer(step.batch);
  w.key("t");
  w.unsigned_integer(step.t);
  w.key("k");
  w.unsigned_integer(step.k);
  w.key("masked");
  w.boolean(step.masked);
  w.key("carried_over");
  w.boolean(step.carried_over);
  w.key("output_source");
  w.string(output_source_name(step.output_source));
  if (detail == Detail::full) {
    w.key("input");  // x_t: [D]
    write_tensor(w, step.input);
    w.key("prev_states");  // h_{t-1}, c_{t-1}: [H] each
    write_named(w, step.prev_states);
    w.key("products");
    w.begin_array();
    for (const auto& product : step.products) write_product(w, product);
    w.end_array();
    w.key("biases");
    write_named(w, step.biases);
    w.key("gated_terms");  // GRU reset_after: r ⊙ h_h in the h~ columns; [] elsewhere
    w.begin_array();
    for (const auto& term : step.gated_terms) write_gated_term(w, term);
    w.end_array();
    w.key("pre_activations");  // z_i, z_f, ...: [H] each
    write_named(w, step.pre_activations);
    w.key("gates");  // i, f, c~, o, ...: [H] each
    write_named(w, step.gates);
    w.key("candidate_states");  // what the cell computed, kept or not: [H] each
    write_named(w, step.candidate_states);
    w.key("candidate_output");  // [H]
    write_tensor(w, step.candidate_output);
    write_step_gradient(w, grad);  // this step's own term of the gradient, exactly 0 when masked
  }
  if (detail != Detail::outputs) {
    w.key("kept_states");  // carried into the next step: [H] each
    write_named(w, step.kept_states);
    w.key("output");  // kept at this step: [H]
    write_tensor(w, step.output);
  }
  w.end_object();
}

void write_lookup(JsonWriter& w, const LookupRecord& lookup) {
  w.begin_object();
  w.key("batch");
  w.unsigned_integer(lookup.batch);
  w.key("t");
  w.unsigned_integer(lookup.t);
  w.key("token");
  w.integer(lookup.token);
  w.key("masked");
  w.boolean(lookup.masked);
  w.end_object();
}

// Average pooling fills sum and divisor, max pooling argmax and argmax_masked; the others are null.
void write_reduction(JsonWriter& w, const ReductionRecord& reduction) {
  const bool average = !reduction.sum.values.empty();
  w.begin_object();
  w.key("batch");
  w.unsigned_integer(reduction.batch);
  w.key("counted");  // [T]
  write_flags(w, reduction.counted);
  w.key("sum");  // [F]
  write_tensor(w, reduction.sum);
  w.key("divisor");
  if (average) w.number(reduction.divisor);
  else w.null();
  w.key("argmax");  // [F]
  if (reduction.argmax.empty()) {
    w.null();
  } else {
    w.begin_array();
    for (std::size_t t : reduction.argmax) w.unsigned_integer(t);
    w.end_array();
  }
  w.key("argmax_masked");  // [F]
  if (reduction.argmax_masked.empty()) w.null();
  else write_flags(w, reduction.argmax_masked);
  w.key("non_finite");
  w.boolean(reduction.non_finite);
  w.end_object();
}

// The payload's lists under the names the trace format has always used: a kind fills its own, the
// others are written as empty lists.
struct KindLists {
  const std::vector<StepRecord>* steps = nullptr;
  const std::vector<LookupRecord>* lookups = nullptr;
  const std::vector<ReductionRecord>* reductions = nullptr;
  const std::vector<LayerRecord>* sublayers = nullptr;
};

KindLists lists_of(const LayerRecord& layer) {
  static const std::vector<StepRecord> no_steps;
  static const std::vector<LookupRecord> no_lookups;
  static const std::vector<ReductionRecord> no_reductions;
  static const std::vector<LayerRecord> no_sublayers;
  KindLists lists{&no_steps, &no_lookups, &no_reductions, &no_sublayers};
  std::visit(Overloaded{
                 [&](const OutputOnly&) {},
                 [&](const Lookups& kind) { lists.lookups = &kind.lookups; },
                 [&](const RecurrentSteps& kind) { lists.steps = &kind.steps; },
                 [&](const Rows& kind) { lists.steps = &kind.rows; },
                 [&](const Reductions& kind) { lists.reductions = &kind.reductions; },
                 [&](const Halves& kind) { lists.sublayers = &kind.halves; },
                 [&](const AttentionRecord&) {},  // written as the layer's "attention" object
                 [&](const Merge&) {},
             },
             layer.payload);
  return lists;
}

std::string layer_non_finite_reason(const KindLists& lists, bool input_non_finite) {
  for (const auto& reduction : *lists.reductions)
    if (reduction.non_finite)
      return "a fully masked sequence: average pooling divides a sum of 0 steps by 0, which is NaN (Keras gives "
             "NaN too); each NaN or infinity is written as null";
  if (input_non_finite)
    return "NaN or infinity arrived in this layer's input from the layer before and propagated; each is written "
           "as null";
  return "float32 overflowed to infinity or NaN in this layer; each is written as null";
}

void write_layer(JsonWriter& w, const LayerRecord& layer, bool input_non_finite, const LayerGradient* grad);

// The per-kind lists, each key always present.
// `grad`: the layer's gradients (steps by index, halves by index), or nullptr without a loss.
void write_kind_lists(JsonWriter& w, NonFiniteFields& non_finite, const LayerRecord& layer, const KindLists& lists,
                      bool input_non_finite, const LayerGradient* grad) {
  non_finite.field("steps", [&] {
    w.begin_array();
    for (std::size_t i = 0; i < lists.steps->size(); ++i) {
      w.newline();
      write_step(w, (*lists.steps)[i], layer.detail, grad != nullptr && i < grad->steps.size() ? &grad->steps[i] : nullptr);
    }
    w.end_array();
  });
  w.key("lookups");
  w.begin_array();
  for (const auto& lookup : *lists.lookups) write_lookup(w, lookup);
  w.end_array();
  non_finite.field("reductions", [&] {
    w.begin_array();
    for (const auto& reduction : *lists.reductions) write_reduction(w, reduction);
    w.end_array();
  });
  non_finite.field("sublayers", [&] {  // Bidirectional: forward, backward
    w.begin_array();
    for (std::size_t i = 0; i < lists.sublayers->size(); ++i) {
      w.newline();
      write_layer(w, (*lists.sublayers)[i], input_non_finite,
                  grad != nullptr && i < grad->sublayers.size() ? &grad->sublayers[i] : nullptr);
    }
    w.end_array();
  });
}

void write_weights(JsonWriter& w, const std::vector<Weight>& weights) {
  w.key("weights");
  w.begin_object();
  for (const auto& weight : weights) {
    w.key(weight.name);
    write_tensor(w, weight.value);
  }
  w.end_object();
  w.key("weight_info");  // where each weight came from
  w.begin_object();
  for (const auto& weight : weights) {
    w.key(weight.name);
    w.begin_object();
    w.key("shape");
    write_shape(w, weight.value.shape);
    w.key("drawn");
    w.boolean(weight.drawn);
    w.key("initializer");
    if (weight.initializer.empty()) w.null();
    else w.string(weight.initializer);
    w.end_object();
  }
  w.end_object();
}

// [B, T, S] booleans, or null.
void write_grid(JsonWriter& w, const std::optional<std::vector<std::uint8_t>>& grid, std::size_t B, std::size_t T,
                std::size_t S) {
  if (!grid) {
    w.null();
    return;
  }
  w.begin_array();
  for (std::size_t b = 0; b < B; ++b) {
    w.begin_array();
    for (std::size_t t = 0; t < T; ++t) {
      w.begin_array();
      for (std::size_t s = 0; s < S; ++s) w.boolean((*grid)[(b * T + t) * S + s] != 0);
      w.end_array();
    }
    w.end_array();
  }
  w.end_array();
}

const char* attention_path_name(AttentionRecord::Path path) {
  switch (path) {
    case AttentionRecord::Path::fused: return "fused";
    case AttentionRecord::Path::explicit_softmax: return "explicit";
    case AttentionRecord::Path::subtractive: return "subtractive";
  }
  return "?";
}

// The contract's `attention` object (../shared/spec/attention-and-graphs.md, "Trace fields").
void write_attention(JsonWriter& w, const AttentionRecord& a) {
  w.key("attention");
  w.begin_object();
  w.key("path");
  w.string(attention_path_name(a.path));
  w.key("mask_constant");
  w.number(a.mask_constant);
  w.key("scale");
  w.number(a.scale);
  w.key("num_heads");
  w.unsigned_integer(a.heads);
  for (const auto& [name, mask] : {std::pair{"query_mask", &a.query_mask}, std::pair{"value_mask", &a.value_mask},
                                   std::pair{"key_mask", &a.key_mask}}) {
    w.key(name);
    write_mask(w, *mask);
  }
  w.key("causal");
  w.boolean(a.causal);
  w.key("explicit_mask");
  write_grid(w, a.explicit_mask, a.batch, a.query_steps, a.key_steps);
  w.key("combined_mask");
  write_grid(w, a.combined_mask, a.batch, a.query_steps, a.key_steps);
  w.key("combined_from");
  write_strings(w, a.combined_from);
  w.key("scores");  // [B, N, T, S]
  write_tensor(w, a.scores);
  w.key("weights");  // [B, N, T, S]
  write_tensor(w, a.weights);
  if (!a.projections.empty()) {  // detail full, MultiHeadAttention
    w.key("projections");
    w.begin_array();
    for (const auto& pr : a.projections) {
      w.begin_object();
      w.key("symbol");
      w.string(pr.symbol);
      w.key("input");
      w.string(pr.input);
      w.key("kernel");
      w.string(pr.kernel);
      w.key("bias");  // null without use_bias
      if (pr.bias.empty()) w.null();
      else w.string(pr.bias);
      w.key("operand");  // [B, steps, D]
      write_tensor(w, pr.operand);
      w.key("product");  // [B, steps, N, H], before the bias
      write_tensor(w, pr.product);
      w.key("result");  // [B, steps, N, H]
      write_tensor(w, pr.result);
      w.end_object();
    }
    w.end_array();
  }
  w.key("fully_masked_rows");
  w.begin_array();
  for (const auto& [b, t] : a.fully_masked_rows) {
    w.begin_array();
    w.unsigned_integer(b);
    w.unsigned_integer(t);
    w.end_array();
  }
  w.end_array();
  w.end_object();
}

// What the layer read, by name, and each input's mask as it arrived (a list, in call order).
void write_inputs(JsonWriter& w, const LayerRecord& layer) {
  w.key("inputs");
  write_strings(w, layer.inputs);
  if (layer.input_masks.size() < 2) return;
  w.key("input_roles");
  write_strings(w, layer.input_roles);
  w.key("input_masks");
  w.begin_array();
  for (const auto& mask : layer.input_masks) write_mask(w, mask);
  w.end_array();
}

void write_layer(JsonWriter& w, const LayerRecord& layer, bool input_non_finite, const LayerGradient* grad) {
  const KindLists lists = lists_of(layer);
  NonFiniteFields non_finite(w);
  w.begin_object();
  w.key("name");
  w.string(layer.name);
  w.key("type");
  w.string(layer.type);
  w.key("config");
  write_json(w, layer.config);
  w.key("input_shape");
  write_shape(w, layer.input_shape);
  w.key("output_shape");
  write_shape(w, layer.output_shape);
  w.key("mask_action");
  w.string(mask_action_name(layer.mask_action));
  w.key("input_mask");  // [B, T] or null
  write_mask(w, layer.input_mask);
  w.key("output_mask");  // [B, T] or null
  write_mask(w, layer.output_mask);
  non_finite.field("output", [&] { write_tensor(w, layer.output); });
  non_finite.field("states", [&] { write_named(w, layer.states); });  // return_state: [B, H] each
  write_weights(w, layer.weights);
  write_layer_gradients(w, grad, [&](const char* key, const std::function<void()>& write) { non_finite.field(key, write); });
  w.key("warnings");
  write_strings(w, layer.warnings);
  w.key("notes");
  write_strings(w, layer.notes);
  w.key("detail");
  w.string(detail_name(layer.detail));
  write_kind_lists(w, non_finite, layer, lists, input_non_finite, grad);
  w.key("output_has_non_finite");
  w.boolean(layer.output_has_non_finite);
  write_inputs(w, layer);
  if (const auto* attention = layer.as<AttentionRecord>()) write_attention(w, *attention);
  non_finite.write_summary(layer_non_finite_reason(lists, input_non_finite));
  w.end_object();
}

void write_loss(JsonWriter& w, const LossRecord& loss, bool prediction_non_finite) {
  NonFiniteFields non_finite(w);
  w.begin_object();
  w.key("name");
  w.string(loss.name);
  w.key("from_logits");
  w.boolean(loss.from_logits);
  w.key("used_keras_logits");
  w.boolean(loss.used_keras_logits);
  w.key("reduction");
  w.string(loss.reduction);
  non_finite.field("value", [&] { w.number(loss.value); });
  non_finite.field("weighted_sum", [&] { w.number(loss.weighted_sum); });
  w.key("valid");
  w.unsigned_integer(loss.valid);
  w.key("total");
  w.unsigned_integer(loss.total);
  w.key("terms_shape");
  write_shape(w, loss.terms_shape);
  non_finite.field("terms", [&] { write_values(w, loss.terms_shape, loss.terms); });  // [B] or [B, T]
  w.key("weights");  // the mask weights, same shape as terms
  write_values(w, loss.terms_shape, loss.weights);
  w.key("mask");
  write_mask(w, loss.mask);
  w.key("warnings");
  write_strings(w, loss.warnings);
  non_finite.write_summary(prediction_non_finite
                               ? "the model's output holds NaN or infinity (see the last layer's non_finite), and "
                                 "it reaches the loss; each is written as null"
                               : "float32 overflowed to infinity or NaN in the loss; each is written as null");
  w.end_object();
}

void write_run(JsonWriter& w, const RunRecord& run) {
  w.newline();
  w.begin_object();
  w.key("mode");
  w.string(mode_name(run.mode));
  w.key("execution_order");  // layer names in the order Keras ran them (by depth in a Functional graph)
  w.begin_array();
  for (std::size_t i : run.execution_order) w.string(run.layers[i].name);
  w.end_array();
  w.key("layers");
  w.begin_array();
  bool input_non_finite = false;  // the scenario's input is checked finite
  for (std::size_t i = 0; i < run.layers.size(); ++i) {
    const LayerRecord& layer = run.layers[i];
    w.newline();
    write_layer(w, layer, input_non_finite, run.grad ? &run.grad->layers[i] : nullptr);
    input_non_finite = layer.output_has_non_finite;
  }
  w.end_array();
  w.newline();
  w.key("loss");
  if (run.loss) write_loss(w, *run.loss, input_non_finite);
  else w.null();
  write_train(w, run.grad.get());
  w.end_object();
}

// tokens: [B, T], whole numbers kept as floats in the scenario's input tensor.
void write_tokens(JsonWriter& w, const Tensor& tokens) {
  const std::size_t B = tokens.dim(0), T = tokens.dim(1);
  w.begin_array();
  for (std::size_t b = 0; b < B; ++b) {
    w.begin_array();
    for (std::size_t t = 0; t < T; ++t) w.integer(static_cast<std::int64_t>(tokens.values[b * T + t]));
    w.end_array();
  }
  w.end_array();
}

void write_scenario(JsonWriter& w, const Scenario& scenario) {
  w.begin_object();
  w.key("name");
  w.string(scenario.name);
  w.key("description");
  w.string(scenario.description);
  w.key("seed");
  w.unsigned_integer(scenario.seed);
  w.key("source");
  w.string(scenario.source);
  w.key("input_shape");
  write_shape(w, scenario.input.shape);
  w.key("input");  // as in the scenario: {"tokens": [B, T]} or {"values": [B, T, F]}
  w.begin_object();
  if (scenario.tokens) {
    w.key("tokens");
    write_tokens(w, scenario.input);
  } else {
    w.key("values");
    write_tensor(w, scenario.input);
  }
  w.end_object();
  if (scenario.inputs.size() > 1) {  // named model inputs; "input" above is the first of them
    w.key("inputs");
    w.begin_object();
    for (const ModelInput& input : scenario.inputs) {
      w.key(input.name);
      w.begin_object();
      w.key(input.tokens ? "tokens" : "values");
      if (input.tokens) write_tokens(w, input.values);
      else write_tensor(w, input.values);
      w.end_object();
    }
    w.end_object();
  }
  w.key("target");
  if (scenario.target) write_tensor(w, *scenario.target);
  else w.null();
  w.key("loss");
  if (scenario.loss) {
    w.begin_object();
    w.key("name");
    w.string(loss_name(scenario.loss->kind));
    w.key("from_logits");
    w.boolean(scenario.loss->from_logits);
    w.end_object();
  } else {
    w.null();
  }
  w.end_object();
}

}  // namespace

void write_trace_json(const Trace& trace, std::ostream& out) {
  if (trace.scenario == nullptr) throw std::invalid_argument("write_trace_json: the trace has no scenario");
  JsonWriter w(out);
  w.begin_object();
  w.key("format");
  w.string("maskviz-trace");
  w.key("version");
  w.integer(trace_format_version);
  w.key("maskviz_version");
  w.string(kVersion);
  w.key("keras_semantics");
  w.string(kKerasVersion);
  w.key("detail");
  w.string(detail_name(trace.detail));
  w.key("scenario");
  write_scenario(w, *trace.scenario);
  w.key("runs");
  w.begin_array();
  write_run(w, trace.masked);
  write_run(w, trace.unmasked);
  w.end_array();
  w.end_object();
  w.finish();
}

}  // namespace maskviz
