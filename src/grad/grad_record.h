// The record of the backward pass: what each layer's weights and output receive from the loss, and one
// optimizer step. The gradient driver (grad/backward.cpp) writes it; renderers read it and nothing else.
//
// Dimension letters as in engine/record.h: B batch, T time, D input features, H units, G gates, V vocabulary.
#pragma once

#include <string>
#include <vector>

#include "engine/record.h"

namespace maskviz {

// One step of one sequence of a recurrent layer: its own term of the backpropagation-through-time sum.
struct StepGradient {
  std::size_t batch = 0;
  std::size_t t = 0;        // time index in the layer's input
  std::size_t k = 0;        // processing order (differs from t with go_backwards)
  bool masked = false;      // the cell's result was discarded: every contribution is exactly ±0
  std::vector<NamedTensor> contributions;  // "kernel" [D, G*H], "recurrent_kernel" [H, G*H], "bias" (bias shape)
  std::vector<NamedTensor> carried;        // ∂loss/∂state after this step, by state name ("h", "c"): [H] each
};

// One lookup of an Embedding: the gradient it scatter-adds into its row.
struct LookupGradient {
  std::size_t batch = 0, t = 0;
  long long token = 0;
  bool masked = false;      // mask_zero and token == 0 in the masked run
  Tensor contribution;      // [F]
};

// ∂loss/∂ one tensor an attention layer read, as this layer sends it back (a tensor read elsewhere too
// also gets what the other readers send), with the mask that tensor carried into the call.
struct InputGradient {
  std::string role;   // "query", "value", "key"
  Tensor gradient;    // the input's shape, [B, steps, F]
  OptMask mask;       // [B, steps], true = keep; empty in the unmasked run or without a mask
  bool also_key = false;  // no key tensor was passed: the value served as the key, and this sums both shares
};

struct LayerGradient {
  // What the layer's gradient holds beyond its weights, said by the layer that computes it, so that a
  // renderer never reads it from the layer's type.
  enum class Kind { plain, recurrent, lookup_table, attention };
  std::string name;
  std::string type;
  Kind kind = Kind::plain;
  std::vector<NamedTensor> weights;     // ∂loss/∂weight, same names and order as Layer::weights()
  Tensor output_gradient;               // ∂loss/∂output, the output's shape
  OptMask output_mask;                  // the mask this layer handed on in this run ([B, T], true = keep)
  std::optional<Tensor> logits_gradient;  // ∂loss/∂logits when the loss read this layer's _keras_logits
  std::vector<StepGradient> steps;      // recurrent layers: ordered by batch, then processing order
  std::vector<LookupGradient> lookups;  // Embedding: ordered by batch, then time
  std::vector<InputGradient> inputs;    // attention: what each input tensor receives, by role
  std::vector<LayerGradient> sublayers; // Bidirectional: forward, backward
  std::vector<std::string> gate_names;  // recurrent layers: the column blocks of kernel and recurrent_kernel
};

// One optimizer step from a fresh state (Keras 3.15.1, keras/src/optimizers/).
struct TrainSpec {
  std::string optimizer = "sgd";  // "sgd", "adam", "adamw"
  float learning_rate = 0.01f;
  float beta_1 = 0.9f, beta_2 = 0.999f, epsilon = 1e-7f;
  std::optional<float> weight_decay;  // decoupled: variable -= variable · wd · lr, before the update
};

struct TrainRecord {
  TrainSpec spec;
  std::vector<std::vector<NamedTensor>> weights_before;  // by layer position, as the scenario gives them
  std::vector<std::vector<NamedTensor>> weights_after;  // by layer position, same names as the weights
};

struct GradRecord {
  float loss = 0;
  std::vector<LayerGradient> layers;  // by layer position, as RunRecord::layers
  TrainRecord train;
};

}  // namespace maskviz
