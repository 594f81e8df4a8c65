// The layer interface. One file per layer type implements it: its config (read and checked), its
// shapes, its weights, what it does with a mask, and its forward math, which writes what happened into
// a LayerRecord (engine/record.h).
//
// How to add a layer of an existing record kind (rows, recurrent steps, lookups, reductions, halves,
// or output only); tests/new_layer_test.cpp does exactly this from a test:
//   1. src/layers/<name>.cpp: a class deriving from Layer. The constructor reads the config from
//      site.fields (scenario/json_fields.h) and sets output_shape_; override supports_masking(), config(),
//      weight_specs() when it has weights, mask_action() only when it does more than Keras' default
//      (pass the mask on when it supports masking, drop it when not) with mask_use() saying how it
//      creates or reads it, record_floats() when it records more than its output, and forward(), which
//      writes the output (and result.mask when it creates one) and emplaces its kind's payload with
//      the labels: equations in display form, gate names, column offsets. For `maskviz grad`, also
//      backward() (recomputing what it needs from its input and weights, never from the record) and
//      has_backward(); without them a scenario with the layer has no gradients, and grad says so.
//   2. src/layers/registry.cpp: the factory's declaration and one row of the table.
//   3. A config key maskviz has never read: add it to layer_fields() in scenario/json_fields.cpp, the
//      one list that tells a typo from a key.
//   4. tests/: a golden or a hand-derived test; docs/scenario-format.md: an example for users.
//   A layer that reads several tensors (a merge, attention) also states how it is called in
//   scenario/graph.cpp (input_form) and reads them from LayerSite::input_shapes and ForwardArgs::inputs /
//   input_masks.
// Nothing else: CMake globs src/layers/, the engine passes masks, and no renderer reads a layer's type.
// A new kind of record is one more alternative in LayerPayload (engine/record.h); the compiler then
// lists every renderer's std::visit that must draw it (text_layer.cpp, json_export.cpp, html_layer.cpp).
#pragma once

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/tensor.h"
#include "engine/record.h"
#include "grad/grad_record.h"
#include "init/initializers.h"

namespace maskviz {

// A layer reads its config through JsonFields (scenario/json_fields.h, included by each layer's .cpp),
// so that this header, which scenario.h includes, depends on nothing in scenario/.
class JsonFields;
using Json = nlohmann::json;

struct WeightSpec {
  std::string name;  // Keras name
  Shape shape;
  Initializer init;
};

// Where a layer stands in the scenario, handed to its factory.
struct LayerSite {
  JsonFields& fields;       // the layer's JSON object; the factory reads its config keys from it
  std::size_t index = 0;    // position in `layers`
  std::string name;         // resolved (given, or Keras' default such as "lstm_1")
  Shape input_shape;        // with the batch axis first
  bool input_is_tokens = false;
  // Every input the layer reads, in call order (the first is `input_shape`), and its role (query, value,
  // key for MultiHeadAttention; empty otherwise). One entry for a layer that reads one tensor.
  std::vector<Shape> input_shapes = {};
  std::vector<std::string> input_roles = {};
};

struct ForwardArgs {
  const Tensor& input;
  const OptMask& mask;              // the mask Keras would hand to call(); always empty in the unmasked run
  const Tensor* input_keras_logits; // the logits behind the input, when it came from sigmoid/softmax
  RunMode mode;
  Detail detail;
  // Layers that read several tensors (merges, attention): each input and the mask it carried when the
  // layer was called, in call order. The first is `input` and `mask`.
  std::vector<const Tensor*> inputs = {};
  std::vector<OptMask> input_masks = {};
};

struct ForwardResult {
  Tensor output;
  OptMask mask;                           // the mask a layer whose action is `created` makes; else unused
  std::optional<Tensor> keras_logits;     // see losses: Keras' TF backend reads these
  std::vector<NamedTensor> states;        // return_state
};

// The backward pass of one layer (grad/backward.cpp walks the layers from the loss to the input).
struct BackwardArgs {
  const Tensor& input;     // the layer's input in this run
  const OptMask& mask;     // the mask Keras handed to call(); empty in the unmasked run
  const Tensor& d_output;  // ∂loss/∂output, the output's shape
  const Tensor* d_logits;  // ∂loss/∂_keras_logits of this output when the loss read them, else nullptr
  RunMode mode;
  bool record_steps;       // fill LayerGradient::steps and ::lookups
  // Layers that read several tensors (merges, attention): each input and the mask handed to call(), in
  // call order, as ForwardArgs has them. The first is `input` and `mask`.
  std::vector<const Tensor*> inputs = {};
  std::vector<OptMask> input_masks = {};
};

struct BackwardResult {
  Tensor d_input;                        // ∂loss/∂input; empty for Embedding (its input is token ids)
  std::vector<Tensor> d_inputs;          // layers that read several tensors: ∂loss/∂ each, in call order
                                         // (then d_input is unused); the driver adds up shared tensors
  std::optional<Tensor> d_input_logits;  // Dropout, linear Activation: the gradient goes to the logits behind the input
  LayerGradient grad;                    // weight gradients (same names as weights()), steps, lookups
};

class Layer {
 public:
  Layer(std::string type, std::string name, Shape input_shape)
      : type_(std::move(type)), name_(std::move(name)), input_shape_(std::move(input_shape)) {}
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  const std::string& type() const { return type_; }
  const std::string& name() const { return name_; }
  const Shape& input_shape() const { return input_shape_; }
  const Shape& output_shape() const { return output_shape_; }

  // Keras' `supports_masking`: when false, a mask that arrives is dropped with a warning.
  virtual bool supports_masking() const = 0;
  // Keras' compute_mask, stated once as an action; `arrives` says whether a mask comes in. The engine
  // applies it (engine/mask_plan.h): it hands the incoming mask on for passed_on and consumed_passed_on,
  // the layer's own for created, and none otherwise. The default is Keras' Layer: a layer that supports
  // masking passes the mask on unread, one that does not drops it.
  virtual MaskAction mask_action(bool arrives, RunMode mode) const;
  // What creating or reading the mask means here, in words (for the record's mask_use).
  virtual MaskUse mask_use() const { return {}; }
  // The resolved config, with Keras' defaults filled in.
  virtual Json config() const = 0;
  // A layer that returns states cannot be followed by another in a Sequential stack.
  virtual bool returns_state() const { return false; }
  // MultiHeadAttention sets the masks of the tensors it was called on to None, in place
  // (multi_head_attention.py l.629-631): a later layer reading the same tensor sees no mask.
  virtual bool clears_input_masks() const { return false; }
  // Why Keras raises when a mask reaches this layer (Softmax on some shapes), or empty. Checked before
  // anything runs, against the masked run's plan.
  virtual std::string refuses_mask() const { return ""; }
  // A merge (mask action `merged`): whether its output carries a mask when these inputs carry one.
  // Concatenate: any; Add overrides it (all).
  virtual bool merged_mask_present(const std::vector<bool>& present) const {
    return std::find(present.begin(), present.end(), true) != present.end();
  }

  // The weights this layer needs, in `layer.get_weights()` order.
  virtual std::vector<WeightSpec> weight_specs() const { return {}; }
  // Reads `weights` (an object by Keras name, or a list in get_weights() order), checks every shape and
  // draws what is missing. Bidirectional overrides it to hand each half to its inner layer.
  virtual void load_weights(const Json* weights, const std::string& pointer, std::uint64_t seed,
                            std::size_t layer_index);
  const std::vector<Weight>& weights() const { return weights_; }
  // How many floats the weights take (checked against the memory limit before any is drawn).
  virtual std::size_t weight_floats() const;
  const Tensor& weight(std::string_view name) const;

  // Floats the record of one run needs at `detail` (an estimate, for the memory limit).
  virtual std::size_t record_floats(Detail detail) const;

  virtual void forward(const ForwardArgs& args, ForwardResult& result, LayerRecord& record) const = 0;
  // Recomputes what it needs from the input and the weights (never from a forward record).
  virtual void backward(const BackwardArgs& args, BackwardResult& result) const;
  // Whether backward() is written for this layer; a scenario with a layer without one gets no gradients,
  // and `grad` says why instead of failing.
  virtual bool has_backward() const { return false; }
  // Floats the per-step (recurrent) or per-lookup (Embedding) gradient terms of one run take; the
  // driver records them only within a budget.
  virtual std::size_t step_gradient_floats() const { return 0; }

  // Keras arguments a pasted config carries that change nothing at inference or only how a missing weight
  // is drawn (scenario/keras_arguments.h): the engine adds these notes to the layer's record.
  const std::vector<std::string>& config_notes() const { return config_notes_; }
  void add_config_note(std::string note) { config_notes_.push_back(std::move(note)); }
  // Draw `weight` with `init` instead of the Keras default, when the scenario does not give it.
  void set_initializer(const std::string& weight, const Initializer& init) { initializers_.emplace_back(weight, init); }
  // false: load_weights checks what is given and records what would be drawn, with its shape, but draws
  // nothing (validate shows no weight's values).
  void set_draw_missing(bool draw) { draw_missing_ = draw; }

 protected:
  std::string type_;
  std::string name_;
  Shape input_shape_;
  Shape output_shape_;
  std::vector<Weight> weights_;
  std::vector<std::string> config_notes_;
  std::vector<std::pair<std::string, Initializer>> initializers_;  // by weight name
  bool draw_missing_ = true;
};

using LayerFactory = std::unique_ptr<Layer> (*)(LayerSite& site);

// The registry: Keras class name -> factory. Throws ScenarioError for an unknown type.
std::unique_ptr<Layer> make_layer(LayerSite& site);
const std::vector<std::string>& known_layer_types();
// Adds (or replaces) a type at run time: a test registers a layer of its own this way. maskviz's own
// layers are the table in registry.cpp.
void register_layer(std::string type, LayerFactory factory);
std::string default_layer_name(std::string_view type);  // "SimpleRNN" -> "simple_rnn"

// A ScenarioError for a layer that cannot take the input it is given.
[[noreturn]] void reject_input(const LayerSite& site, std::string_view expectation);

}  // namespace maskviz
