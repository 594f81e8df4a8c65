// The record of what happened: layers write it, renderers (text, diff, JSON) read it and nothing else.
//
// Dimension letters used across maskviz: B batch, T time, D input features, H units, F features,
// G gates (LSTM 4, GRU 3, SimpleRNN 1), V vocabulary.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
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
  merged,               // a merge (Add, Concatenate) made its output mask from its inputs' masks
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
  Tensor result;          // [G*H], or the slice's columns
  std::size_t column = 0; // where `result` starts among the layer's G*H pre-activation columns
};

// A term of the pre-activation that is a gate times an operand rather than a weight product: the GRU's
// reset product r ⊙ (h_h + b_h) (reset_after), added in the h~ columns in place of h_h and b_h's own parts.
// The operand is recorded with the formula that made it, so a learner can multiply it out by hand.
struct GatedTerm {
  std::string gate;             // the gate that multiplies: "r"
  std::string operand_name;     // "h_h + b_h": the term reads "r ⊙ (h_h + b_h)"
  std::string operand_formula;  // how the operand was made: "h_{t-1} · U[:, 2u:] + b_h[2u:]"
  Tensor operand;               // [H]
  Tensor result;                // [H]: gate ⊙ operand
  std::size_t column = 0;       // where `result` starts among the layer's G*H pre-activation columns
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
  std::vector<NamedTensor> biases;        // bias parts added from column 0, by the name used in the equations
  std::vector<GatedTerm> gated_terms;     // gate ⊙ operand terms (GRU reset_after: r ⊙ (h_h + b_h)); empty elsewhere
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

// The equations a layer's numbers follow, in display form (Unicode: renderers spell it in ASCII on
// request), written by the layer that computes them so that no renderer repeats them.
struct Equations {
  std::vector<std::string> lines;  // shown once per layer, above its weights
  // How each new state is computed, in the order the cell computes them ("c" before "h" in an LSTM).
  std::vector<std::pair<std::string, std::string>> states;
  // True when the pre-activation is the plain sum of the products and the bias in every column, so a
  // step table may write "+" and "= z" between its rows. Every recorded row of a GRU sums too (its reset
  // product is a row of its own), but "z" is its update gate, so its table says "pre-activation".
  bool additive = false;
};

// ---- The payload: what a layer's record holds beyond its output, one alternative per kind. ----------
// Each kind carries its own labels. A renderer std::visit()s the payload, so adding a kind here makes
// the compiler list every renderer that must learn it; a new layer of an existing kind touches none.

// A layer whose record is its output alone (Flatten, Activation, Dropout, Masking).
struct OutputOnly {};

// Embedding: one lookup per (sequence, step); the output row is the looked-up row of the table.
struct Lookups {
  std::vector<LookupRecord> lookups;  // Detail::steps and full
};

// A recurrent layer (SimpleRNN, LSTM, GRU, each half of a Bidirectional): one entry per (sequence, step).
struct RecurrentSteps {
  std::vector<std::string> gate_names;       // column blocks of the pre-activations, in Keras' order: i, f, c~, o
  std::vector<std::string> state_names;      // "h" or "h", "c"
  std::size_t units = 0;                     // H
  Equations equations;
  std::vector<std::string> bias_row_labels;  // a 2-D bias's rows by symbol (GRU reset_after: b_x, b_h)
  bool go_backwards = false;                 // steps are in processing order, k != t
  bool return_sequences = false;             // the output holds one row per processed step
  bool zero_output_for_mask = false;         // a masked step's output is 0 rather than carried over
  std::vector<StepRecord> steps;             // ordered by batch, then processing order; Detail::steps and full
};

// A layer applied row by row (Dense): one entry per (sequence, step), or per sample without a time axis.
struct Rows {
  Equations equations;
  std::string activation;  // the activation's Keras name ("linear": y is z)
  std::vector<StepRecord> rows;  // Detail::full only: input, the product, biases, z and the output
};

// Global pooling over time: one entry per sequence.
struct Reductions {
  enum class Kind { average, max };
  Kind kind = Kind::average;
  std::vector<ReductionRecord> reductions;  // Detail::steps and full
};

struct LayerRecord;

// Bidirectional: two recurrent halves, then their merge.
struct Halves {
  std::string merge_mode;           // concat, sum, ave, mul
  bool return_sequences = false;    // the backward half is flipped back into input time order
  std::vector<LayerRecord> halves;  // forward, backward
};

// One projection of MultiHeadAttention, as a learner writes it: operand · kernel + bias, every head at once
// (a head n uses the kernel's [:, n, :] and the bias's [n]). Letters: B batch, D features, N heads, H its size.
struct AttentionProjection {
  std::string symbol;  // "Q", "K", "V"
  std::string input;   // the role of the tensor projected: "query", "key", "value" (K projects the value without a key)
  std::string kernel;  // the weight's Keras name: "query_kernel" [D, N, H]
  std::string bias;    // "query_bias" [N, H]; empty without use_bias
  Tensor operand;      // [B, steps, D] the tensor projected
  Tensor product;      // [B, steps, N, H] operand · kernel, before the bias
  Tensor result;       // [B, steps, N, H] product + bias: Q, K or V
};

// MultiHeadAttention and Attention: how the combined mask was built, and per head the scores and weights.
// Letters: B batch, N heads, T query steps, S key/value steps.
struct AttentionRecord {
  enum class Path { fused, explicit_softmax, subtractive };
  Path path = Path::fused;
  float mask_constant = 0;            // what a masked logit becomes (fused, explicit) or loses (subtractive)
  float scale = 1;                    // the factor applied to q·k (1/√key_dim; Attention: its `scale` or 1)
  std::size_t batch = 0, heads = 1, query_steps = 0, key_steps = 0;  // B, N, T, S
  OptMask query_mask, value_mask, key_mask;  // [B, T], [B, S], [B, S]; each as it reached the layer
  bool causal = false;
  std::optional<std::vector<std::uint8_t>> explicit_mask;   // [B, T, S] after broadcasting, true = may attend
  std::optional<std::vector<std::uint8_t>> combined_mask;   // [B, T, S], true = may attend; none: no mask at all
  std::vector<std::string> combined_from;                   // the terms ANDed, as Keras writes them
  Tensor scores;    // [B, N, T, S] scaled, before masking
  Tensor weights;   // [B, N, T, S] after the softmax (and, explicit path, the zeroing)
  Tensor context;   // [B, T, N, Hv] the weighted sum of values, before the output projection (MHA)
  std::vector<std::pair<std::size_t, std::size_t>> fully_masked_rows;  // (b, t): no key may be attended
  bool query_rows_zeroed = false;     // Attention: the output at a masked query is set to 0
  bool clears_input_masks = false;    // MultiHeadAttention: the masks of its input tensors are set to None
  std::vector<AttentionProjection> projections;  // Detail::full, MultiHeadAttention: Q, K, V
};

// Add, Concatenate: the masks of the inputs and how they were merged.
struct Merge {
  std::string rule;  // "None if any input has no mask, else OR" (Add); Concatenate's rule
};

using LayerPayload = std::variant<OutputOnly, Lookups, RecurrentSteps, Rows, Reductions, Halves, AttentionRecord,
                                  Merge>;

// What a layer does with a mask, in words the layer states once (renderers never guess it from the type).
struct MaskUse {
  std::string creates;         // how a created mask is decided: "a step is masked where its token is 0"
  std::string reads;           // what reading it means here: "the mean is over the valid steps only"
  std::string changes_values;  // a creator that also changes the values: "sets the masked steps to 0 (...)"
  std::string switch_key;      // the boolean config key that makes the mask ("mask_zero"): the unmasked run sets it false
};

struct LayerRecord {
  std::string name;
  std::string type;
  nlohmann::json config;          // resolved config, Keras names and defaults filled in
  Shape input_shape, output_shape;
  OptMask input_mask, output_mask;
  MaskAction mask_action = MaskAction::none;
  MaskUse mask_use;
  Tensor output;
  std::vector<NamedTensor> states;       // return_state: the final states
  std::vector<Weight> weights;
  std::vector<std::string> warnings;     // what Keras warns, and what maskviz warns about Keras
  std::vector<std::string> notes;        // plain words at the points where learners go wrong
  Detail detail = Detail::outputs;
  LayerPayload payload;
  bool output_has_non_finite = false;
  // What the layer read, by name ("input" or a model input's name, else a layer's), with the role of
  // each (query, value, key for MultiHeadAttention; empty otherwise) and each input's mask as it arrived.
  std::vector<std::string> inputs;
  std::vector<std::string> input_roles;
  std::vector<OptMask> input_masks;
  // Per input: the layer that had set the mask this tensor carried to None in place before this layer
  // read it (a MultiHeadAttention that read it earlier), else empty.
  std::vector<std::string> input_masks_cleared_by;

  // The payload as kind K, or nullptr when it holds another kind.
  template <class K> const K* as() const { return std::get_if<K>(&payload); }
  template <class K> K* as() { return std::get_if<K>(&payload); }
};

// One term of the loss: one sequence step (or one sample, without a time axis).
struct LossRecord {
  std::string name;
  bool from_logits = false;
  bool used_keras_logits = false;  // Keras' TF backend read the logits behind a final sigmoid/softmax
  std::string reduction = "sum_over_batch_size";
  Shape terms_shape;               // [B] or [B, T]
  std::vector<float> terms;        // per-element loss, already reduced over the last axis
  // What each term was computed from, so a reader can recompute it: the target as the loss read it
  // ([..., C], or the class labels [B] / [B, T] for sparse crossentropy) and the scores its formula took
  // ([..., C]: the prediction ŷ, or logits when from_logits or Keras read the logits behind a final
  // sigmoid/softmax; `scores_are_logits` says which).
  Tensor target;
  Tensor scores;
  bool scores_are_logits = false;
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
  std::vector<LayerRecord> layers;             // in the scenario's order
  std::vector<std::size_t> execution_order;    // indices into `layers`, in the order Keras ran them
  std::optional<LossRecord> loss;
  std::shared_ptr<const GradRecord> grad;  // the backward pass and one optimizer step (grad/backward.h); null without
};

}  // namespace maskviz
