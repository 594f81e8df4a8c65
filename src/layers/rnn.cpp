// The sequence walker shared by SimpleRNN, LSTM and GRU: Keras 3.15.1's TensorFlow-backend generic loop
// (keras/src/backend/tensorflow/rnn.py, called from keras/src/layers/rnn/rnn.py inner_loop):
//
//   order = reversed(range(T)) if go_backwards else range(T)   # the mask is reversed with the inputs
//   prev_out = 0
//   for k, t in enumerate(order):
//       out, new_states = cell(x[:, t], states)                 # evaluated at masked steps too
//       keep = mask[:, t]
//       out = where(keep, out, 0 if zero_output_for_mask else prev_out)
//       states = where(keep, new_states, states)                # every state: h and c
//       prev_out = out
//       outputs[k] = out                                        # processing order, never flipped back
//   last_output = outputs[-1]
//
// The cell's result at a masked step is computed and thrown away: masking changes no weight, it
// replaces a step's result by what was there before.
#include "layers/rnn.h"
#include "scenario/json_fields.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "core/errors.h"

namespace maskviz {

RnnConfig read_rnn_config(JsonFields& f, const std::string& type) {
  RnnConfig c;
  c.type = type;
  c.units = static_cast<std::size_t>(f.integer("units", std::nullopt, 1, 1 << 16));
  c.activation = activation_from_name(f.choice("activation", "tanh", activation_names()));
  if (type != "SimpleRNN")
    c.recurrent_activation = activation_from_name(f.choice("recurrent_activation", "sigmoid", activation_names()));
  c.use_bias = f.boolean("use_bias", true);
  c.return_sequences = f.boolean("return_sequences", false);
  c.return_state = f.boolean("return_state", false);
  c.go_backwards = f.boolean("go_backwards", false);
  c.zero_output_for_mask = f.boolean("zero_output_for_mask", false);
  if (type == "LSTM") c.unit_forget_bias = f.boolean("unit_forget_bias", true);
  if (type == "GRU") c.reset_after = f.boolean("reset_after", true);
  c.dropout = f.number("dropout", 0.0);
  c.recurrent_dropout = f.number("recurrent_dropout", 0.0);
  for (const auto& [key, rate] : {std::pair{"dropout", c.dropout}, std::pair{"recurrent_dropout", c.recurrent_dropout}})
    if (rate < 0 || rate > 1)
      throw ScenarioError(f.pointer_of(key), fmt::format("{} is out of range; expected a number in [0, 1]", key));
  return c;
}

Json rnn_config_json(const RnnConfig& c) {
  Json j = {{"units", c.units},
            {"activation", activation_name(c.activation)},
            {"use_bias", c.use_bias},
            {"return_sequences", c.return_sequences},
            {"return_state", c.return_state},
            {"go_backwards", c.go_backwards},
            {"zero_output_for_mask", c.zero_output_for_mask}};
  if (c.type != "SimpleRNN") j["recurrent_activation"] = activation_name(c.recurrent_activation);
  if (c.type == "LSTM") j["unit_forget_bias"] = c.unit_forget_bias;
  if (c.type == "GRU") j["reset_after"] = c.reset_after;
  return j;
}

Tensor row_block(const Mat& m, Eigen::Index row, Eigen::Index col, Eigen::Index n) {
  return row_tensor(m.row(row).data() + col, static_cast<std::size_t>(n));
}

RnnLayer::RnnLayer(std::string name, Shape input_shape, RnnConfig config)
    : Layer(config.type, std::move(name), std::move(input_shape)), config_(std::move(config)) {
  cell_ = make_cell(config_);
  const std::size_t B = input_shape_[0], T = input_shape_[1];
  output_shape_ = config_.return_sequences ? Shape{B, T, config_.units} : Shape{B, config_.units};
}

MaskAction RnnLayer::mask_action(bool arrives, RunMode) const {
  if (!arrives) return MaskAction::none;
  return config_.return_sequences ? MaskAction::consumed_passed_on : MaskAction::consumed;
}

std::vector<WeightSpec> RnnLayer::weight_specs() const {
  const std::size_t D = input_shape_[2], H = config_.units, G = cell_->gate_count();
  std::vector<WeightSpec> specs = {{"kernel", {D, G * H}, Initializer::glorot_uniform()},
                                   {"recurrent_kernel", {H, G * H}, Initializer::orthogonal()}};
  if (config_.use_bias) specs.push_back({"bias", cell_->bias_shape(), cell_->bias_initializer()});
  return specs;
}

std::size_t RnnLayer::record_floats(Detail detail) const {
  const std::size_t B = input_shape_[0], T = input_shape_[1], D = input_shape_[2];
  const std::size_t H = config_.units, G = cell_->gate_count(), S = cell_->state_names().size();
  std::size_t per_step = 0;
  if (detail != Detail::outputs) per_step += H * (S + 1) + 8;
  if (detail == Detail::full) per_step += D + 4 * G * H + 2 * S * H + H;
  return Layer::record_floats(detail) + B * T * per_step;
}

namespace {

// x_t · kernel for every step. The input products do not depend on the state, so they are hoisted out
// of the recurrence into one GEMM per chunk of steps: big enough to run at full GEMM speed, small
// enough (about 256 rows) that the result is still in cache when the steps read it.
class InputProjection {
 public:
  InputProjection(const Tensor& x, const ConstMatMap& kernel, bool go_backwards)  // x: [B, T, D]
      : x_(x), kernel_(kernel), go_backwards_(go_backwards), B_(x.dim(0)), T_(x.dim(1)),
        chunk_steps_(std::clamp<std::size_t>(kChunkRows / std::max<std::size_t>(B_, 1), 1, T_)),
        x_chunk_(static_cast<Eigen::Index>(chunk_steps_ * B_), kernel.rows()),
        proj_chunk_(static_cast<Eigen::Index>(chunk_steps_ * B_), kernel.cols()) {}

  // x_t · kernel [B, G*H] for processing step k; call with k = 0, 1, ..., T-1 in turn.
  ConstStridedRows step(std::size_t k) {
    const std::size_t in_chunk = k % chunk_steps_;
    if (in_chunk == 0) fill_chunk(k);
    const auto B = static_cast<Eigen::Index>(B_);
    return {proj_chunk_.data() + static_cast<Eigen::Index>(in_chunk) * B * proj_chunk_.cols(), B,
            proj_chunk_.cols(), Eigen::OuterStride<>(proj_chunk_.cols())};
  }

 private:
  static constexpr std::size_t kChunkRows = 256;

  // Gathers x_t for the steps [k0, k0 + n) into time-major rows (k - k0)·B + b, then one GEMM.
  void fill_chunk(std::size_t k0) {
    const std::size_t n = std::min(chunk_steps_, T_ - k0);
    const std::size_t D = x_.row_length();
    for (std::size_t kk = 0; kk < n; ++kk) {
      const std::size_t t = go_backwards_ ? T_ - 1 - (k0 + kk) : k0 + kk;
      for (std::size_t b = 0; b < B_; ++b)
        std::copy_n(x_.row(b * T_ + t), D, x_chunk_.row(static_cast<Eigen::Index>(kk * B_ + b)).data());
    }
    const auto rows = static_cast<Eigen::Index>(n * B_);
    proj_chunk_.topRows(rows).noalias() = x_chunk_.topRows(rows) * kernel_;
  }

  const Tensor& x_;
  ConstMatMap kernel_;  // [D, G*H], a view
  bool go_backwards_;
  std::size_t B_, T_, chunk_steps_;
  Mat x_chunk_;     // [chunk·B, D]
  Mat proj_chunk_;  // [chunk·B, G*H]
};

}  // namespace

void RnnCell::prepare(Eigen::Index B, StepScratch& s) const {
  const auto H = static_cast<Eigen::Index>(config_.units);
  const auto GH = static_cast<Eigen::Index>(gate_count()) * H;
  s.recurrent.resize(B, GH);
  s.gates.resize(B, GH);
  if (s.keep_pre) s.pre.resize(B, GH);
  s.new_states.assign(state_names().size(), Mat(B, H));
}

namespace {

// One walk over the sequence for the whole batch: the `states`, `outputs` and `prev_out` of the
// pseudo-code at the top, and the record of each step. Each member function is one line of it.
class SequenceWalk {
 public:
  SequenceWalk(const RnnConfig& config, const RnnCell& cell, const CellWeights& w, const ForwardArgs& args,
               Tensor& output, RecurrentSteps& record)
      : config_(config), cell_(cell), w_(w), args_(args), output_(output), record_(record),
        B_(args.input.dim(0)), T_(args.input.dim(1)), H_(static_cast<Eigen::Index>(config.units)),
        names_(cell.state_names()), x_proj_of_(args.input, w.kernel, config.go_backwards),
        states_(names_.size(), Mat::Zero(static_cast<Eigen::Index>(B_), H_)) {
    scratch_.keep_pre = args.detail == Detail::full;
    cell_.prepare(static_cast<Eigen::Index>(B_), scratch_);
    if (args.detail != Detail::outputs) record_.steps.resize(B_ * T_);
  }

  // out, new_states = cell(x[:, t], states): at masked steps too, Keras computes, then discards.
  ConstStridedRows run_cell(std::size_t k) {
    const ConstStridedRows x_proj = x_proj_of_.step(k);  // [B, G*H]
    cell_.step(x_proj, states_, w_, scratch_);
    return x_proj;
  }

  // states = where(keep, new_states, states): take the new buffers whole, then copy the old rows back
  // where the step is masked.
  void keep_or_carry(std::size_t t) {
    for (std::size_t b = 0; b < B_ && args_.mask; ++b)
      if (!keep(b, t))
        for (std::size_t s = 0; s < names_.size(); ++s)
          scratch_.new_states[s].row(static_cast<Eigen::Index>(b)) = states_[s].row(static_cast<Eigen::Index>(b));
    for (std::size_t s = 0; s < names_.size(); ++s) states_[s].swap(scratch_.new_states[s]);
  }

  // outputs[k] = where(keep, out, 0 if zero_output_for_mask else prev_out), in processing order.
  void write_output(std::size_t k, std::size_t t) {
    for (std::size_t b = 0; b < B_; ++b) {
      const float* out = kept_output(b, keep(b, t));
      if (out != nullptr) std::copy_n(out, H_, output_.row(b * T_ + k));  // else it stays 0
    }
  }

  // last_output = outputs[-1]: the output kept at the last processed step.
  void write_last_output() {
    const std::size_t t_last = config_.go_backwards ? 0 : T_ - 1;
    for (std::size_t b = 0; b < B_; ++b) {
      const float* out = kept_output(b, keep(b, t_last));
      if (out != nullptr) std::copy_n(out, H_, output_.row(b));
    }
  }

  // Detail::full: the operands of step k and what the cell computed, before the mask decides.
  void record_cell(std::size_t k, std::size_t t, const ConstStridedRows& x_proj) {
    const std::size_t D = args_.input.dim(2);
    for (std::size_t b = 0; b < B_; ++b) {
      const auto bi = static_cast<Eigen::Index>(b);
      StepRecord& step = record_.steps[b * T_ + k];
      step.input = row_tensor(args_.input.row(b * T_ + t), D);
      for (std::size_t s = 0; s < names_.size(); ++s)
        step.prev_states.push_back({names_[s] + "_{t-1}", row_block(states_[s], bi, 0, H_)});
      cell_.record(bi, x_proj, states_, w_, scratch_, step);
      for (std::size_t s = 0; s < names_.size(); ++s)
        step.candidate_states.push_back({names_[s], row_block(scratch_.new_states[s], bi, 0, H_)});
      step.candidate_output = row_block(scratch_.new_states[0], bi, 0, H_);
    }
  }

  // Detail::steps and full: the flags of step k and what it kept.
  void record_kept(std::size_t k, std::size_t t) {
    for (std::size_t b = 0; b < B_; ++b) {
      const bool kept = keep(b, t);
      StepRecord& step = record_.steps[b * T_ + k];
      step.batch = b;
      step.t = t;
      step.k = k;
      step.masked = step.carried_over = !kept;
      step.output_source = kept                          ? OutputSource::computed
                           : config_.zero_output_for_mask ? OutputSource::zeros
                                                          : OutputSource::previous_output;
      for (std::size_t s = 0; s < names_.size(); ++s)
        step.kept_states.push_back({names_[s], row_block(states_[s], static_cast<Eigen::Index>(b), 0, H_)});
      const float* out = kept_output(b, kept);
      step.output = out != nullptr ? row_tensor(out, config_.units) : Tensor({config_.units});
    }
  }

  // return_state: the final states, [B, H] each.
  std::vector<NamedTensor> final_states() const {
    std::vector<NamedTensor> out;
    for (std::size_t s = 0; s < names_.size(); ++s)
      out.push_back({names_[s], Tensor({B_, config_.units},
                                       std::vector<float>(states_[s].data(), states_[s].data() + states_[s].size()))});
    return out;
  }

 private:
  bool keep(std::size_t b, std::size_t t) const { return !args_.mask || args_.mask->at(b, t); }

  // The output kept at a step is the previous *output* at a masked step (TF's prev_output), yet no
  // buffer for it is needed: every cell's output is its h, the states start at zero like prev_output,
  // and a masked step keeps both. So the kept output is always the kept h, except with
  // zero_output_for_mask, where it is 0 at a masked step (nullptr).
  const float* kept_output(std::size_t b, bool kept) const {
    return kept || !config_.zero_output_for_mask ? states_[0].row(static_cast<Eigen::Index>(b)).data() : nullptr;
  }

  const RnnConfig& config_;
  const RnnCell& cell_;
  const CellWeights& w_;
  const ForwardArgs& args_;
  Tensor& output_;           // [B, T, H] or [B, H]
  RecurrentSteps& record_;
  std::size_t B_, T_;
  Eigen::Index H_;
  std::vector<std::string> names_;  // the states: h (and c)
  InputProjection x_proj_of_;
  std::vector<Mat> states_;  // [B, H] each
  StepScratch scratch_;
};

}  // namespace

RecurrentSteps RnnLayer::describe() const {
  RecurrentSteps steps;
  steps.gate_names = cell_->gate_names();
  steps.state_names = cell_->state_names();
  steps.units = config_.units;
  steps.equations = cell_->equations();
  steps.bias_row_labels = cell_->bias_row_labels();
  steps.go_backwards = config_.go_backwards;
  steps.return_sequences = config_.return_sequences;
  steps.zero_output_for_mask = config_.zero_output_for_mask;
  return steps;
}

void RnnLayer::forward(const ForwardArgs& args, ForwardResult& result, LayerRecord& record) const {
  const std::size_t T = input_shape_[1];
  const CellWeights w{as_matrix(weight("kernel")), as_matrix(weight("recurrent_kernel")),
                      config_.use_bias ? &weight("bias") : nullptr};
  result.output = Tensor(output_shape_);  // [B, T, H] or [B, H]
  RecurrentSteps& steps = record.payload.emplace<RecurrentSteps>(describe());
  SequenceWalk walk(config_, *cell_, w, args, result.output, steps);
  for (std::size_t k = 0; k < T; ++k) {
    const std::size_t t = config_.go_backwards ? T - 1 - k : k;  // the mask is read at t, reversed with x
    const ConstStridedRows x_proj = walk.run_cell(k);
    if (args.detail == Detail::full) walk.record_cell(k, t, x_proj);
    walk.keep_or_carry(t);
    if (config_.return_sequences) walk.write_output(k, t);
    if (args.detail != Detail::outputs) walk.record_kept(k, t);
  }
  if (!config_.return_sequences) walk.write_last_output();
  if (config_.return_state) result.states = walk.final_states();
  if (config_.dropout > 0 || config_.recurrent_dropout > 0)
    record.notes.push_back(fmt::format("dropout={:g}, recurrent_dropout={:g}: Keras applies them in training only; "
                                       "at inference (evaluate, predict), which this shows, they change nothing.",
                                       config_.dropout, config_.recurrent_dropout));
  if (args.mask) add_mask_notes(record);
}

void RnnLayer::add_mask_notes(LayerRecord& record) const {
  record.notes.push_back(
      config_.zero_output_for_mask
          ? "at a masked step the cell is still computed, then thrown away: the states are carried over from "
            "the step before and the output is 0 (zero_output_for_mask)."
          : "at a masked step the cell is still computed, then thrown away: the states are carried over from "
            "the step before, and so is the output. No weight changes.");
  // With zero_output_for_mask a masked last step outputs 0 (Keras' rnn: outputs[-1] of the zeroed
  // outputs), so only without it is the last valid step's output what comes out.
  if (!config_.return_sequences)
    record.notes.push_back(config_.zero_output_for_mask
                               ? "return_sequences=false: the output is the one of the last processed step, so "
                                 "with trailing padding it is 0 (zero_output_for_mask), not the last valid step's."
                               : "return_sequences=false: the output is the one of the last processed step, so "
                                 "with trailing padding it is the output of the last valid step, carried through "
                                 "the padding.");
  if (config_.go_backwards && config_.return_sequences)
    record.warnings.push_back("go_backwards with return_sequences: the outputs are in processing (reversed) "
                              "order, but the mask handed on is not reversed, so it no longer lines up with "
                              "them (Keras 3 does this too; only Bidirectional flips its outputs back)");
}

}  // namespace maskviz

namespace maskviz {

std::unique_ptr<RnnCell> make_simple_rnn_cell(const RnnConfig& config);
std::unique_ptr<RnnCell> make_lstm_cell(const RnnConfig& config);
std::unique_ptr<RnnCell> make_gru_cell(const RnnConfig& config);

std::unique_ptr<RnnCell> make_cell(const RnnConfig& config) {
  if (config.type == "LSTM") return make_lstm_cell(config);
  if (config.type == "GRU") return make_gru_cell(config);
  return make_simple_rnn_cell(config);
}

std::unique_ptr<Layer> make_recurrent(LayerSite& site, const std::string& type) {
  RnnConfig config = read_rnn_config(site.fields, type);
  if (site.input_shape.size() != 3) reject_input(site, "a sequence [batch, time, features]");
  return std::make_unique<RnnLayer>(site.name, site.input_shape, std::move(config));
}

std::unique_ptr<Layer> make_simple_rnn(LayerSite& site) { return make_recurrent(site, "SimpleRNN"); }
std::unique_ptr<Layer> make_lstm(LayerSite& site) { return make_recurrent(site, "LSTM"); }
std::unique_ptr<Layer> make_gru(LayerSite& site) { return make_recurrent(site, "GRU"); }

}  // namespace maskviz
