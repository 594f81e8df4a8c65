// The record of what happened: layers write it, renderers (text, diff, JSON) read it and nothing else.
//
// Dimension letters used across maskviz: B batch, T time, D input features, H units, F features,
// G gates (LSTM 4, GRU 3, SimpleRNN 1), V vocabulary.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace maskviz {

enum class RunMode { masked, unmasked };
const char* mode_name(RunMode mode);

// How much a run records. `outputs`: layer outputs, masks, weights. `steps`: plus one entry per
// (sequence, step) with its flags and the values kept. `full`: plus every product, gate and candidate.
enum class Detail { outputs, steps, full };
const char* detail_name(Detail detail);

// What a layer does with the mask it receives or makes, in Keras 3.15.1.
enum class MaskAction {
  none,                 // no mask arrived and none was made
  created,              // Embedding(mask_zero) or Masking made one
  passed_on,            // supports masking but does not read it (Dense, Activation, Dropout)
  consumed,             // read it and emit none (RNN without return_sequences, GlobalAveragePooling1D)
  consumed_passed_on,   // read it and hand it on (RNN with return_sequences)
  dropped,              // does not support masking: Keras warns and the mask is gone
  switched_off,         // unmasked run: this layer would have made a mask, and does not
};
const char* mask_action_name(MaskAction action);

struct NamedTensor {
  std::string name;
  Tensor value;
};

struct Weight {
  std::string name;  // Keras name: "kernel", "recurrent_kernel", "bias", "embeddings"; "forward/kernel" in Bidirectional
  Tensor value;
  bool drawn = false;          // true when the scenario left it out and maskviz drew it
  std::string initializer;     // what it was drawn from, e.g. "glorot_uniform(limit=0.5345)"
};

// lhs · rhs = result, as a learner writes it. The right operand is a layer weight, named, never copied.
struct Product {
  std::string lhs_name;   // "x_t", "h_{t-1}", "x"
  Tensor lhs;             // [D] or [H]
  std::string rhs_name;   // the weight's Keras name, e.g. "kernel"
  std::string rhs_part;   // which columns, when only a slice is used ("[:, 2u:]"), else empty
  Tensor result;          // [G*H]
};

// Where the output kept at a step came from.
enum class OutputSource { computed, previous_output, zeros };
const char* output_source_name(OutputSource source);

// One row of a per-row layer (Dense) or one step of one sequence of a recurrent layer.
struct StepRecord {
  std::size_t batch = 0;
  std::size_t t = 0;         // time index in the layer's input
  std::size_t k = 0;         // processing order (differs from t with go_backwards)
  bool masked = false;       // the mask says this step is padding
  bool carried_over = false; // states and output were taken from the step before, not computed here
  OutputSource output_source = OutputSource::computed;

  // Detail::full only.
  Tensor input;                           // x_t [D]
  std::vector<NamedTensor> prev_states;   // h_{t-1}, c_{t-1}: [H] each
  std::vector<Product> products;          // x_t·W, h_{t-1}·U
  std::vector<NamedTensor> biases;        // bias parts added, by the name used in the equations
  std::vector<NamedTensor> pre_activations;  // per gate, [H] each: z_i, z_f, z_c, z_o ...
  std::vector<NamedTensor> gates;         // activated gates: i, f, c~, o ...
  std::vector<NamedTensor> candidate_states;  // what the cell computed: h, c
  Tensor candidate_output;                // what the cell computed as output [H]

  // Detail::steps and full.
  std::vector<NamedTensor> kept_states;   // the states carried into the next step
  Tensor output;                          // the output kept at this step [H]
};

// A lookup of one token in an Embedding.
struct LookupRecord {
  std::size_t batch = 0, t = 0;
  long long token = 0;
  bool masked = false;  // mask_zero and token == 0: the row is still looked up
};

// A reduction over time for one sequence (GlobalAveragePooling1D, GlobalMaxPooling1D).
struct ReductionRecord {
  std::size_t batch = 0;
  std::vector<std::uint8_t> counted;   // [T] which steps entered the reduction
  Tensor sum;                          // [F] average pooling: sum of the counted rows
  float divisor = 0;                   // average pooling: how many steps were counted
  std::vector<std::size_t> argmax;     // [F] max pooling: the step that won each feature
  std::vector<std::uint8_t> argmax_masked;  // [F] max pooling: that step is padding
  bool non_finite = false;             // 0/0 for a fully masked sequence: NaN, as in Keras
};

struct LayerRecord {
  std::string name;
  std::string type;
  nlohmann::json config;          // resolved config, Keras names and defaults filled in
  Shape input_shape, output_shape;
  OptMask input_mask, output_mask;
  MaskAction mask_action = MaskAction::none;
  Tensor output;
  std::vector<NamedTensor> states;       // return_state: the final states
  std::vector<Weight> weights;
  std::vector<std::string> warnings;     // what Keras warns, and what maskviz warns about Keras
  std::vector<std::string> notes;        // plain words at the points where learners go wrong
  Detail detail = Detail::outputs;
  std::vector<StepRecord> steps;         // ordered by batch, then processing order
  std::vector<LookupRecord> lookups;
  std::vector<ReductionRecord> reductions;
  std::vector<LayerRecord> sublayers;    // Bidirectional: forward, backward
  bool output_has_non_finite = false;
};

// One term of the loss: one sequence step (or one sample, without a time axis).
struct LossRecord {
  std::string name;
  bool from_logits = false;
  bool used_keras_logits = false;  // Keras' TF backend read the logits behind a final sigmoid/softmax
  std::string reduction = "sum_over_batch_size";
  Shape terms_shape;               // [B] or [B, T]
  std::vector<float> terms;        // per-element loss, already reduced over the last axis
  std::vector<float> weights;      // mask weights: N/V where kept, 0 where masked; 1 without a mask
  OptMask mask;
  std::size_t valid = 0;           // V: kept terms (all of them without a mask)
  std::size_t total = 0;           // N: all terms
  float weighted_sum = 0;          // Σ L·w
  float value = 0;                 // Σ L·w / N
  std::vector<std::string> warnings;  // what Keras warns while computing this loss
};

struct GradRecord;  // grad/grad_record.h

struct RunRecord {
  RunMode mode = RunMode::masked;
  std::vector<LayerRecord> layers;
  std::optional<LossRecord> loss;
  std::shared_ptr<const GradRecord> grad;  // the backward pass and one optimizer step (grad/backward.h); null without
};

}  // namespace maskviz
