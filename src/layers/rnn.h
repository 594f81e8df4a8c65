// Recurrent layers: a cell computes one step for the whole batch; RnnLayer walks the sequence and owns
// time, the mask and the carry-over. Cells: simple_rnn.cpp, lstm.cpp, gru.cpp.
#pragma once

#include <memory>

#include "core/eigen.h"
#include "layers/activations.h"
#include "layers/layer.h"

namespace maskviz {

struct RnnConfig {
  std::string type;  // "SimpleRNN", "LSTM", "GRU"
  std::size_t units = 0;
  Activation activation = Activation::tanh;
  Activation recurrent_activation = Activation::sigmoid;  // LSTM, GRU
  bool use_bias = true;
  bool return_sequences = false;
  bool return_state = false;
  bool go_backwards = false;
  bool zero_output_for_mask = false;
  bool unit_forget_bias = true;  // LSTM
  bool reset_after = true;       // GRU
  double dropout = 0, recurrent_dropout = 0;  // accepted as Keras does; training only, so unused here
};

// Reads the config keys of `type` from `fields` (Keras 3 defaults for what is left out).
RnnConfig read_rnn_config(JsonFields& fields, const std::string& type);
Json rnn_config_json(const RnnConfig& config);

// The weights a cell reads, as matrices.
struct CellWeights {
  ConstMatMap kernel;            // [D, G*H]
  ConstMatMap recurrent_kernel;  // [H, G*H]
  const Tensor* bias;            // [G*H], GRU reset_after [2, G*H]; nullptr without use_bias
};

// What one step computed for the whole batch, kept so the walker can record any row of it. Sized once
// per forward by RnnCell::prepare and reused at every step: the loop over time allocates nothing.
struct StepScratch {
  Mat recurrent;      // [B, G*H] h_{t-1} · recurrent_kernel, the bare product (GRU reset_before: [B, 2H])
  Mat reset_input;    // [B, H]   GRU reset_before only: r ⊙ h_{t-1}
  Mat reset_product;  // [B, H]   GRU reset_before only: (r ⊙ h_{t-1}) · recurrent_kernel[:, 2u:]
  Mat pre;            // [B, G*H] pre-activations, gate blocks side by side; filled only when keep_pre
  Mat gates;          // [B, G*H] activated gates
  std::vector<Mat> new_states;  // [B, H] each, what the cell computed; new_states[0] = h is the output
  bool keep_pre = false;        // Detail::full: the record shows what entered each activation
};

// What the backward pass of one step hands back, for the whole batch (rnn_backward.cpp).
struct StepGrad {
  Mat dz_x;     // [B, G*H] ∂loss/∂(x_t · kernel): also the gradient of the (input) bias
  Mat dz_rec;   // [B, G*H] ∂loss/∂ the recurrent product's columns (GRU reset_after: also of the recurrent bias)
  std::vector<Mat> d_prev;  // [B, H] each: ∂loss/∂ the states before the step, through the cell
  bool rec_is_x = false;    // dz_rec equals dz_x (LSTM, SimpleRNN): dz_rec is left unwritten
};

class RnnCell {
 public:
  explicit RnnCell(const RnnConfig& config) : config_(config) {}
  virtual ~RnnCell() = default;
  virtual std::size_t gate_count() const = 0;                 // G
  virtual std::vector<std::string> state_names() const = 0;   // "h" or "h", "c"
  virtual std::vector<std::string> gate_names() const = 0;    // in Keras' block order
  // The cell's equations in display form, for the record (the numbers it records follow them).
  virtual Equations equations() const = 0;
  // Labels of a 2-D bias's rows (GRU reset_after: b_x, b_h); empty for a 1-D bias.
  virtual std::vector<std::string> bias_row_labels() const { return {}; }
  virtual Shape bias_shape() const { return {gate_count() * config_.units}; }
  virtual Initializer bias_initializer() const { return Initializer::zeros(); }
  // Sizes every buffer of `s` for a batch of B.
  virtual void prepare(Eigen::Index B, StepScratch& s) const;
  // One step for the whole batch. x_proj: x_t · kernel [B, G*H]; states: [B, H] each. Writes
  // s.new_states (the output of every cell is its new h, s.new_states[0]) and what the record reads.
  virtual void step(const ConstStridedRows& x_proj, const std::vector<Mat>& states, const CellWeights& w,
                    StepScratch& s) const = 0;
  // Copies row b of what step() computed into `record`: products, biases, pre-activations, gates.
  virtual void record(Eigen::Index b, const ConstStridedRows& x_proj, const std::vector<Mat>& states,
                      const CellWeights& w, const StepScratch& s, StepRecord& record) const = 0;
  // The backward of step(): d_new [B, H] each is ∂loss/∂ the states the cell computed; `prev` and `s` are
  // what step() read and wrote (with s.keep_pre). Writes g.dz_x, g.dz_rec and g.d_prev.
  virtual void step_backward(const std::vector<Mat>& d_new, const std::vector<Mat>& prev, const StepScratch& s,
                             const CellWeights& w, StepGrad& g) const = 0;
  // The left operand of the recurrent product's last block when it is not h_{t-1} (GRU reset_before:
  // r ⊙ h_{t-1}), else nullptr.
  virtual const Mat* last_block_lhs(const StepScratch&) const { return nullptr; }

 protected:
  const RnnConfig& config_;
};

std::unique_ptr<RnnCell> make_cell(const RnnConfig& config);

class RnnLayer final : public Layer {
 public:
  RnnLayer(std::string name, Shape input_shape, RnnConfig config);
  bool supports_masking() const override { return true; }
  MaskAction mask_action(bool arrives, RunMode mode) const override;
  MaskUse mask_use() const override { return {"", "masked steps keep the state of the step before", "", ""}; }
  Json config() const override { return rnn_config_json(config_); }
  bool returns_state() const override { return config_.return_state; }
  std::vector<WeightSpec> weight_specs() const override;
  std::size_t record_floats(Detail detail) const override;
  void forward(const ForwardArgs& args, ForwardResult& result, LayerRecord& record) const override;
  bool has_backward() const override { return true; }
  void backward(const BackwardArgs& args, BackwardResult& result) const override;  // rnn_backward.cpp
  // Each (sequence, step) holds a term the size of all the weights.
  std::size_t step_gradient_floats() const override {
    return input_shape_[0] * input_shape_[1] * weight_floats();
  }
  const RnnConfig& rnn_config() const { return config_; }
  const RnnCell& cell() const { return *cell_; }
  // The payload's labels (gates, states, equations), before any step is recorded.
  RecurrentSteps describe() const;

 private:
  void add_mask_notes(LayerRecord& record) const;
  // The pieces of backward() (rnn_backward.cpp), sharing one workspace there.
  void tape_forward(const Tensor& x, const OptMask& mask, const CellWeights& w) const;
  void backward_through_time(const BackwardArgs& args, const CellWeights& w) const;
  void record_step_terms(const BackwardArgs& args, LayerGradient& grad) const;

  RnnConfig config_;
  std::unique_ptr<RnnCell> cell_;
};

// Activation of n contiguous values, one gate of one sample, in place. Softmax runs over those n, as
// Keras applies an RNN's activation to each gate's [B, H] block separately.
inline void activate_gate(Activation activation, float* values, Eigen::Index n) {
  apply_activation(activation, values, 1, static_cast<std::size_t>(n));
}
// Two neighbouring gates with the same activation: one pass when it is elementwise.
inline void activate_gates(Activation activation, float* values, Eigen::Index n, Eigen::Index gates) {
  if (activation == Activation::softmax) {
    for (Eigen::Index g = 0; g < gates; ++g) activate_gate(activation, values + g * n, n);
  } else {
    activate_gate(activation, values, n * gates);
  }
}
Tensor row_block(const Mat& m, Eigen::Index row, Eigen::Index col, Eigen::Index n);

}  // namespace maskviz
