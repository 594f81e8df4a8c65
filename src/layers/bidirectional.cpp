// Bidirectional(layer, merge_mode) (keras/src/layers/rnn/bidirectional.py):
//   forward  = a copy of `layer`;  backward = a copy with go_backwards=True (set, not flipped: a wrapped
//   layer with go_backwards=True makes both copies go backwards, and Keras 3 raises a ValueError).
//   Both get zero_output_for_mask = return_sequences (line 137), so with return_sequences every padded
//   position is 0 in both halves, unlike a lone RNN, which repeats its previous output there.
//   Both receive the same, un-reversed mask; the backend reverses it for the backward copy.
//   (1) y_f = forward(x)    y_b = backward(x)
//   (2) y_b = flip(y_b, time)                      only with return_sequences: back to input order
//   (3) concat: [y_f, y_b]   sum: y_f + y_b   ave: (y_f + y_b) / 2   mul: y_f ⊙ y_b
// Output mask: the input mask with return_sequences, else none.
// Backward, dy = ∂loss/∂y:
//   (3') concat: dy_f = dy[.., :H], dy_b = dy[.., H:]   sum: dy_f = dy_b = dy   ave: dy_f = dy_b = dy / 2
//        mul: dy_f = dy ⊙ y_b, dy_b = dy ⊙ y_f
//   (2') dy_b = flip(dy_b, time)                     only with return_sequences: back to processing order
//   (1') dx = dx_f + dx_b                            each half's own backward (rnn_backward.cpp)
#include <fmt/format.h>

#include "core/errors.h"
#include "engine/mask_plan.h"
#include "layers/rnn.h"
#include "scenario/json_fields.h"
#include "scenario/keras_arguments.h"

namespace maskviz {

namespace {

class BidirectionalLayer final : public Layer {
 public:
  explicit BidirectionalLayer(LayerSite& site) : Layer("Bidirectional", site.name, site.input_shape) {
    auto& f = site.fields;
    merge_mode_ = f.choice("merge_mode", "concat", {"concat", "sum", "ave", "mul"});
    const Json& inner_json = f.required("layer", "an object describing a SimpleRNN, LSTM or GRU");
    JsonFields inner(inner_json, f.pointer_of("layer"), "the wrapped layer");
    const std::string type = inner.choice("type", std::nullopt, {"SimpleRNN", "LSTM", "GRU"});
    const std::string inner_name = inner.string("name", default_layer_name(type));
    RnnConfig config = read_rnn_config(inner, type);
    if (config.go_backwards)
      throw ScenarioError(inner.pointer_of("go_backwards"),
                          "Bidirectional makes its backward copy with go_backwards=true, so the wrapped layer must "
                          "go forwards: with go_backwards=true both copies would run backwards, and Keras 3 refuses "
                          "(ValueError: Forward layer and backward layer should have different `go_backwards` value)");
    if (inner.has("weights"))
      throw ScenarioError(inner.pointer_of("weights"),
                          "give a Bidirectional's weights on the Bidirectional itself, as {\"forward\": ..., "
                          "\"backward\": ...}");
    if (input_shape_.size() != 3) reject_input(site, "a sequence [batch, time, features]");

    inner_type_ = type;
    config.zero_output_for_mask = config.return_sequences;
    RnnConfig backward_config = config;
    backward_config.go_backwards = true;
    forward_ = std::make_unique<RnnLayer>("forward_" + inner_name, input_shape_, config);
    backward_ = std::make_unique<RnnLayer>("backward_" + inner_name, input_shape_, backward_config);
    // Keras builds the backward copy from the wrapped layer's config, initializers included
    // (keras/src/layers/rnn/bidirectional.py), so a pasted kernel_initializer applies to both halves; the
    // note is the Bidirectional's, which is the layer the trace shows.
    read_keras_arguments(inner, *forward_);
    read_keras_arguments(inner, *backward_);
    for (const auto& note : forward_->config_notes()) add_config_note(note);
    inner.finish();
    output_shape_ = forward_->output_shape();
    if (merge_mode_ == "concat") output_shape_.back() *= 2;
  }

  bool supports_masking() const override { return true; }
  bool returns_state() const override { return forward_->returns_state(); }
  MaskAction mask_action(bool arrives, RunMode mode) const override { return forward_->mask_action(arrives, mode); }
  MaskUse mask_use() const override { return forward_->mask_use(); }
  Json config() const override {
    Json inner = forward_->config();
    inner["type"] = inner_type_;
    inner["zero_output_for_mask"] = forward_->rnn_config().zero_output_for_mask;
    return {{"merge_mode", merge_mode_}, {"layer", inner}};
  }
  std::size_t weight_floats() const override { return forward_->weight_floats() + backward_->weight_floats(); }
  std::size_t record_floats(Detail detail) const override {
    return Layer::record_floats(detail) + forward_->record_floats(detail) + backward_->record_floats(detail);
  }

  void load_weights(const Json* given, const std::string& pointer, std::uint64_t seed,
                    std::size_t layer_index) override {
    forward_->set_draw_missing(draw_missing_);
    backward_->set_draw_missing(draw_missing_);
    const std::size_t per_half = forward_->weight_specs().size();
    if (given == nullptr) {
      forward_->load_weights(nullptr, pointer, seed, layer_index);
      backward_->load_weights(nullptr, pointer, seed + 0x9E3779B97F4A7C15ULL, layer_index);
    } else if (given->is_object()) {
      JsonFields halves(*given, pointer, "Bidirectional weights {\"forward\": ..., \"backward\": ...}");
      forward_->load_weights(halves.raw("forward"), halves.pointer_of("forward"), seed, layer_index);
      backward_->load_weights(halves.raw("backward"), halves.pointer_of("backward"),
                              seed + 0x9E3779B97F4A7C15ULL, layer_index);
      halves.finish();
    } else if (given->is_array()) {
      // layer.get_weights() lists the forward layer's weights, then the backward layer's.
      if (given->size() != 2 * per_half)
        throw ScenarioError(pointer, fmt::format("{} arrays given; expected {}: the forward {}'s {} weights, then "
                                                 "the backward one's, in layer.get_weights() order",
                                                 given->size(), 2 * per_half, inner_type_, per_half));
      // Point each half at its own slice of the list, keeping the original JSON pointers.
      load_half(*forward_, *given, 0, per_half, pointer, seed, layer_index);
      load_half(*backward_, *given, per_half, per_half, pointer, seed + 0x9E3779B97F4A7C15ULL, layer_index);
    } else {
      throw ScenarioError(pointer, fmt::format("expected {{\"forward\": ..., \"backward\": ...}} or a list in "
                                               "layer.get_weights() order, got {}", json_kind(*given)));
    }
    weights_.clear();
    for (const auto* half : {forward_.get(), backward_.get()}) {
      const char* prefix = half == forward_.get() ? "forward/" : "backward/";
      for (const auto& w : half->weights()) weights_.push_back({prefix + w.name, w.value, w.drawn, w.initializer});
    }
  }

  void forward(const ForwardArgs& args, ForwardResult& result, LayerRecord& record) const override {
    const RnnConfig& config = forward_->rnn_config();
    Halves& halves = record.payload.emplace<Halves>();
    halves.merge_mode = merge_mode_;
    halves.return_sequences = config.return_sequences;
    ForwardResult fwd, bwd;
    run_half(*forward_, args, fwd, halves);   // (1)
    run_half(*backward_, args, bwd, halves);
    Tensor& y_b = bwd.output;
    if (config.return_sequences) flip_time(y_b);  // (2)
    result.output = merge(fwd.output, y_b);         // (3)
    for (auto& s : fwd.states) result.states.push_back({"forward_" + s.name, std::move(s.value)});
    for (auto& s : bwd.states) result.states.push_back({"backward_" + s.name, std::move(s.value)});
    if (args.mask && config.return_sequences)
      record.notes.push_back("Bidirectional sets zero_output_for_mask=return_sequences on both directions: padded "
                             "positions are 0 in both halves, where a lone RNN would repeat its previous output "
                             "(TensorFlow.js carries the output instead).");
    if (config.return_sequences)
      record.notes.push_back("the backward half's outputs are flipped back into input time order before merging.");
  }

  std::size_t step_gradient_floats() const override {
    return forward_->step_gradient_floats() + backward_->step_gradient_floats();
  }
  bool has_backward() const override { return true; }
  void backward(const BackwardArgs& args, BackwardResult& result) const override {
    const bool sequences = forward_->rnn_config().return_sequences;
    Tensor y_f, y_b;  // the halves' outputs, needed by mul
    if (merge_mode_ == "mul") {
      for (auto [layer, out] : {std::pair{forward_.get(), &y_f}, std::pair{backward_.get(), &y_b}}) {
        ForwardResult r;
        LayerRecord unused;
        layer->forward({args.input, args.mask, nullptr, args.mode, Detail::outputs}, r, unused);
        *out = std::move(r.output);
      }
      if (sequences) flip_time(y_b);
    }
    Tensor dy_f(forward_->output_shape()), dy_b(forward_->output_shape());
    const std::size_t rows = dy_f.size() / dy_f.row_length(), H = dy_f.row_length();
    for (std::size_t r = 0; r < rows; ++r) {  // (3')
      const float* d = args.d_output.row(r);
      for (std::size_t i = 0; i < H; ++i) {
        if (merge_mode_ == "concat") {
          dy_f.row(r)[i] = d[i];
          dy_b.row(r)[i] = d[H + i];
        } else if (merge_mode_ == "sum") {
          dy_f.row(r)[i] = dy_b.row(r)[i] = d[i];
        } else if (merge_mode_ == "ave") {
          dy_f.row(r)[i] = dy_b.row(r)[i] = d[i] / 2.0f;
        } else {
          dy_f.row(r)[i] = d[i] * y_b.row(r)[i];
          dy_b.row(r)[i] = d[i] * y_f.row(r)[i];
        }
      }
    }
    if (sequences) flip_time(dy_b);  // (2')
    BackwardResult fwd, bwd;
    forward_->backward({args.input, args.mask, dy_f, nullptr, args.mode, args.record_steps}, fwd);
    backward_->backward({args.input, args.mask, dy_b, nullptr, args.mode, args.record_steps}, bwd);
    result.grad.kind = LayerGradient::Kind::recurrent;  // its steps are its halves'
    result.d_input = std::move(fwd.d_input);  // (1')
    for (std::size_t i = 0; i < result.d_input.size(); ++i) result.d_input.values[i] += bwd.d_input.values[i];
    for (auto [half, prefix, out] : {std::tuple{&fwd, "forward/", dy_f}, std::tuple{&bwd, "backward/", dy_b}}) {
      for (const auto& w : half->grad.weights) result.grad.weights.push_back({prefix + w.name, w.value});
      half->grad.name = half == &fwd ? forward_->name() : backward_->name();
      half->grad.type = inner_type_;
      half->grad.output_gradient = std::move(out);
      result.grad.sublayers.push_back(std::move(half->grad));
    }
  }

 private:
  // One half as the engine runs a layer: its own record, with the same mask as the Bidirectional.
  static void run_half(const RnnLayer& half, const ForwardArgs& args, ForwardResult& out, Halves& halves) {
    const MaskAction action = half.mask_action(args.mask.has_value(), args.mode);
    LayerRecord rec = open_record(half, args.mask, action, args.detail);
    half.forward(args, out, rec);
    rec.output = out.output;
    rec.output_mask = mask_after(action, args.mask, std::move(out.mask));
    rec.states = out.states;
    halves.halves.push_back(std::move(rec));
  }

  static void load_half(RnnLayer& half, const Json& list, std::size_t first, std::size_t count,
                        const std::string& pointer, std::uint64_t seed, std::size_t layer_index) {
    Json slice = Json::array();
    for (std::size_t i = 0; i < count; ++i) slice.push_back(list[first + i]);
    try {
      half.load_weights(&slice, pointer, seed, layer_index);
    } catch (const ScenarioError& e) {
      // Re-anchor "/weights/i/..." of the slice to the index in the original list.
      std::string at = e.pointer();
      if (at.size() > pointer.size() + 1 && at.compare(0, pointer.size(), pointer) == 0) {
        const std::size_t start = pointer.size() + 1;
        const std::size_t end = at.find('/', start);
        const std::size_t index = std::stoul(at.substr(start, end - start)) + first;
        at = fmt::format("{}/{}{}", pointer, index, end == std::string::npos ? "" : at.substr(end));
      }
      throw ScenarioError(at, e.what());
    }
  }

  static void flip_time(Tensor& y) {  // [B, T, H]
    const std::size_t B = y.dim(0), T = y.dim(1), H = y.dim(2);
    for (std::size_t b = 0; b < B; ++b)
      for (std::size_t t = 0; t < T / 2; ++t)
        std::swap_ranges(y.row(b * T + t), y.row(b * T + t) + H, y.row(b * T + T - 1 - t));
  }

  Tensor merge(const Tensor& y_f, const Tensor& y_b) const {
    Tensor out(output_shape_);
    const std::size_t rows = y_f.size() / y_f.row_length(), H = y_f.row_length();
    for (std::size_t r = 0; r < rows; ++r) {
      const float* f = y_f.row(r);
      const float* b = y_b.row(r);
      float* o = out.row(r);
      for (std::size_t i = 0; i < H; ++i) {
        if (merge_mode_ == "concat") {
          o[i] = f[i];
          o[H + i] = b[i];
        } else if (merge_mode_ == "sum") {
          o[i] = f[i] + b[i];
        } else if (merge_mode_ == "ave") {
          o[i] = (f[i] + b[i]) / 2.0f;
        } else {
          o[i] = f[i] * b[i];
        }
      }
    }
    return out;
  }

  std::string merge_mode_;
  std::string inner_type_;
  std::unique_ptr<RnnLayer> forward_, backward_;
};

}  // namespace

std::unique_ptr<Layer> make_bidirectional(LayerSite& site) { return std::make_unique<BidirectionalLayer>(site); }

}  // namespace maskviz
