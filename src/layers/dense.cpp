// Dense(units, activation, use_bias) on the last axis (keras/src/layers/core/dense.py):
//   (1) z = x · kernel          x: [..., D], kernel: [D, H]
//   (2) z = z + bias            bias: [H]
//   (3) y = activation(z)
// Dense supports masking but never reads the mask: padded steps are computed like any other, and the
// mask is handed on unchanged for a later consumer (an RNN, average pooling, the loss).
#include <fmt/format.h>

#include "core/eigen.h"
#include "layers/activations.h"
#include "layers/backward.h"
#include "layers/layer.h"
#include "scenario/json_fields.h"

namespace maskviz {

namespace {

class DenseLayer final : public Layer {
 public:
  explicit DenseLayer(LayerSite& site) : Layer("Dense", site.name, site.input_shape) {
    auto& f = site.fields;
    units_ = static_cast<std::size_t>(f.integer("units", std::nullopt, 1, 1 << 20));
    activation_ = activation_from_name(f.choice("activation", "linear", activation_names()));
    use_bias_ = f.boolean("use_bias", true);
    if (input_shape_.size() < 2) reject_input(site, "at least [batch, features]");
    output_shape_ = input_shape_;
    output_shape_.back() = units_;
  }
  bool supports_masking() const override { return true; }
  Json config() const override {
    return {{"units", units_}, {"activation", activation_name(activation_)}, {"use_bias", use_bias_}};
  }
  std::vector<WeightSpec> weight_specs() const override {
    std::vector<WeightSpec> specs = {{"kernel", {input_shape_.back(), units_}, Initializer::glorot_uniform()}};
    if (use_bias_) specs.push_back({"bias", {units_}, Initializer::zeros()});
    return specs;
  }
  std::size_t record_floats(Detail detail) const override {
    const std::size_t rows = element_count(input_shape_) / input_shape_.back();
    const std::size_t per_row = detail == Detail::full ? input_shape_.back() + 3 * units_ : 0;
    return Layer::record_floats(detail) + rows * per_row;
  }

  void forward(const ForwardArgs& args, ForwardResult& result, LayerRecord& record) const override {
    const auto H = static_cast<Eigen::Index>(units_);
    const ConstMatMap x = as_matrix(args.input);      // [rows, D]
    const ConstMatMap kernel = as_matrix(weight("kernel"));  // [D, H]
    result.output = Tensor(output_shape_);
    MatMap z = as_matrix(result.output);              // [rows, H]
    z.noalias() = x * kernel;                          // (1)
    Mat product;                                       // x · kernel kept apart for the record
    if (args.detail == Detail::full) product = z;
    if (use_bias_) z.rowwise() += ConstMatMap(weight("bias").data(), 1, H).row(0);  // (2)
    Mat pre_activation;
    if (args.detail == Detail::full || keeps_keras_logits(activation_)) pre_activation = z;
    apply_activation(activation_, result.output.data(), static_cast<std::size_t>(z.rows()), units_);  // (3)
    if (keeps_keras_logits(activation_))
      result.keras_logits = Tensor(output_shape_, std::vector<float>(pre_activation.data(),
                                                                     pre_activation.data() + pre_activation.size()));
    Rows& rows = record.payload.emplace<Rows>(describe());
    if (args.mask)
      record.notes.push_back("Dense computes every step, padded or not, and hands the mask on unchanged: "
                             "passing a mask on is not using it.");
    if (args.detail != Detail::full) return;

    record_rows(args, x, product, pre_activation, result.output, rows);
  }

  bool has_backward() const override { return true; }

  void backward(const BackwardArgs& args, BackwardResult& result) const override {
    dense_backward(args, weight("kernel"), use_bias_ ? &weight("bias") : nullptr, activation_, result);
  }

 private:
  // The payload's labels: the equation and the activation.
  Rows describe() const {
    Rows rows;
    const char* act = activation_symbol(activation_);
    const std::string linear = fmt::format("x · W{}", use_bias_ ? " + b" : "");
    rows.equations.lines = {activation_ == Activation::linear ? fmt::format("y = {}", linear)
                                                              : fmt::format("y = {}({})", act, linear)};
    rows.equations.additive = true;
    rows.activation = activation_name(activation_);
    return rows;
  }

  // One record per row: per (batch, step) for a sequence, per sample otherwise.
  void record_rows(const ForwardArgs& args, const ConstMatMap& x, const Mat& product, const Mat& pre_activation,
                   const Tensor& output, Rows& rows) const {
    const auto D = static_cast<std::size_t>(x.cols());
    const std::size_t T = input_shape_.size() == 3 ? input_shape_[1] : 1;
    for (Eigen::Index r = 0; r < x.rows(); ++r) {
      StepRecord step;
      step.batch = static_cast<std::size_t>(r) / T;
      step.t = step.k = static_cast<std::size_t>(r) % T;
      step.masked = args.mask && input_shape_.size() == 3 && !args.mask->at(step.batch, step.t);
      step.input = row_tensor(x.row(r).data(), D);
      step.products.push_back({"x", step.input, "kernel", "", row_tensor(product.row(r).data(), units_)});
      if (use_bias_) step.biases.push_back({"bias", weight("bias")});
      step.pre_activations.push_back({"z", row_tensor(pre_activation.row(r).data(), units_)});
      step.output = row_tensor(output.row(static_cast<std::size_t>(r)), units_);
      rows.rows.push_back(std::move(step));
    }
  }

  std::size_t units_ = 0;
  Activation activation_ = Activation::linear;
  bool use_bias_ = true;
};

}  // namespace

std::unique_ptr<Layer> make_dense(LayerSite& site) { return std::make_unique<DenseLayer>(site); }

}  // namespace maskviz
