// Layers that keep every value's place: Activation, Dropout (identity at inference) and Flatten.
//
// Activation and Dropout support masking and hand the mask on without reading it. Flatten does not
// support masking: Keras 3 warns and the mask is gone, so nothing after it can tell padding apart
// (keras/src/layers/reshaping/flatten.py; Keras 1 to 2.3 raised an error here instead).
#include "core/errors.h"
#include "layers/activations.h"
#include "layers/backward.h"
#include "layers/layer.h"
#include "scenario/json_fields.h"

namespace maskviz {

namespace {

class ActivationLayer final : public Layer {
 public:
  explicit ActivationLayer(LayerSite& site) : Layer("Activation", site.name, site.input_shape) {
    activation_ = activation_from_name(site.fields.choice("activation", std::nullopt, activation_names()));
    output_shape_ = input_shape_;
  }
  bool supports_masking() const override { return true; }
  Json config() const override { return {{"activation", activation_name(activation_)}}; }
  void forward(const ForwardArgs& args, ForwardResult& result, LayerRecord&) const override {
    result.output = args.input;
    // keras.activations.sigmoid and softmax keep their input as `_keras_logits` on the output; linear
    // returns its input itself, so the logits behind that input survive
    // (keras/src/activations/activations.py).
    if (keeps_keras_logits(activation_))
      result.keras_logits = args.input;
    else if (activation_ == Activation::linear && args.input_keras_logits != nullptr)
      result.keras_logits = *args.input_keras_logits;
    apply_activation(activation_, result.output.data(), result.output.size() / result.output.row_length(),
                     result.output.row_length());
  }

  bool has_backward() const override { return true; }

  void backward(const BackwardArgs& args, BackwardResult& result) const override {
    activation_layer_backward(args, activation_, result);
  }

 private:
  Activation activation_ = Activation::linear;
};

class DropoutLayer final : public Layer {
 public:
  explicit DropoutLayer(LayerSite& site) : Layer("Dropout", site.name, site.input_shape) {
    rate_ = site.fields.number("rate", std::nullopt);
    if (rate_ < 0 || rate_ > 1)  // Keras 3 takes rate 1 (0 <= rate <= 1): at inference it changes nothing
      throw_rate(site);
    output_shape_ = input_shape_;
  }
  bool supports_masking() const override { return true; }
  Json config() const override { return {{"rate", rate_}}; }
  void forward(const ForwardArgs& args, ForwardResult& result, LayerRecord& record) const override {
    // Inference: Dropout returns its input as it is (the same tensor, so a sigmoid's logits survive).
    result.output = args.input;
    if (args.input_keras_logits != nullptr) result.keras_logits = *args.input_keras_logits;
    record.notes.push_back("Dropout is the identity at inference (evaluate, predict): it zeroes nothing here. "
                           "Masking is not dropout: it never zeroes weights, it replaces a padded step's result.");
  }

  bool has_backward() const override { return true; }

  void backward(const BackwardArgs& args, BackwardResult& result) const override {
    activation_layer_backward(args, Activation::linear, result);  // the identity
  }

 private:
  [[noreturn]] static void throw_rate(LayerSite& site);
  double rate_ = 0;
};

void DropoutLayer::throw_rate(LayerSite& site) {
  throw ScenarioError(site.fields.pointer_of("rate"), "rate is out of range; expected a number in [0, 1]");
}

class FlattenLayer final : public Layer {
 public:
  explicit FlattenLayer(LayerSite& site) : Layer("Flatten", site.name, site.input_shape) {
    if (input_shape_.size() < 2) reject_input(site, "at least [batch, features]");
    output_shape_ = {input_shape_[0], element_count(input_shape_) / input_shape_[0]};
  }
  bool supports_masking() const override { return false; }
  Json config() const override { return Json::object(); }
  void forward(const ForwardArgs& args, ForwardResult& result, LayerRecord&) const override {
    result.output = Tensor(output_shape_, args.input.values);
  }
  bool has_backward() const override { return true; }
  void backward(const BackwardArgs& args, BackwardResult& result) const override {
    result.d_input = Tensor(input_shape_, args.d_output.values);
  }
};

}  // namespace

std::unique_ptr<Layer> make_activation(LayerSite& site) { return std::make_unique<ActivationLayer>(site); }
std::unique_ptr<Layer> make_dropout(LayerSite& site) { return std::make_unique<DropoutLayer>(site); }
std::unique_ptr<Layer> make_flatten(LayerSite& site) { return std::make_unique<FlattenLayer>(site); }

}  // namespace maskviz
