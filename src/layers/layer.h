// The layer interface. One file per layer type implements it: its config (read and checked), its
// shapes, its weights, and its forward math, which writes what happened into a LayerRecord.
//
// How to add a layer: (1) write layers/<name>.cpp with a class deriving from Layer and a factory
// `make_<name>(LayerSite&)`; (2) add one line to the table in layers/registry.cpp; (3) add a golden or
// hand-derived test in tests/. No renderer needs to change: they read only the record. A layer that
// reads several tensors (a merge, attention) also states how it is called in scenario/graph.cpp
// (input_form) and reads them from LayerSite::input_shapes and ForwardArgs::inputs / input_masks.
#pragma once

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/tensor.h"
#include "engine/record.h"
#include "init/initializers.h"
#include "scenario/json_fields.h"

namespace maskviz {

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

 protected:
  std::string type_;
  std::string name_;
  Shape input_shape_;
  Shape output_shape_;
  std::vector<Weight> weights_;
};

using LayerFactory = std::unique_ptr<Layer> (*)(LayerSite& site);

// The registry: Keras class name -> factory. Throws ScenarioError for an unknown type.
std::unique_ptr<Layer> make_layer(LayerSite& site);
const std::vector<std::string>& known_layer_types();
std::string default_layer_name(std::string_view type);  // "SimpleRNN" -> "simple_rnn"

// A ScenarioError for a layer that cannot take the input it is given.
[[noreturn]] void reject_input(const LayerSite& site, std::string_view expectation);

}  // namespace maskviz
