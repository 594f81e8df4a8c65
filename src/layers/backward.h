// The backward passes of the non-recurrent layers, one free function per layer, each in
// <layer>_backward.cpp with its equations on top (the recurrent one is RnnLayer::backward, rnn_backward.cpp).
#pragma once

#include <cstdint>
#include <vector>

#include "layers/activations.h"
#include "layers/layer.h"

namespace maskviz {

// Dense: x [.., D], kernel [D, H], bias [H] or nullptr. Fills d_input and the weight gradients.
void dense_backward(const BackwardArgs& args, const Tensor& kernel, const Tensor* bias, Activation activation,
                    BackwardResult& result);
// Activation layer; Dropout (inference) is activation_layer_backward with linear.
void activation_layer_backward(const BackwardArgs& args, Activation activation, BackwardResult& result);
// Embedding: tokens [B, T], table [V, F]; mask_zero marks the lookups of token 0 in the masked run.
void embedding_backward(const BackwardArgs& args, const Tensor& table, bool marks_zero, BackwardResult& result);
// Masking: where(mask, x, 0) in the masked run, the identity in the unmasked one.
void masking_backward(const BackwardArgs& args, float mask_value, BackwardResult& result);
void global_average_pooling_backward(const BackwardArgs& args, BackwardResult& result);
void global_max_pooling_backward(const BackwardArgs& args, BackwardResult& result);

// Add: every input receives dy. Concatenate (last axis): each input its own columns of dy.
void add_backward(const BackwardArgs& args, BackwardResult& result);
void concatenate_backward(const BackwardArgs& args, BackwardResult& result);
// LayerNormalization over the last axis: gamma, beta [F] or nullptr (scale=False, center=False).
void layer_normalization_backward(const BackwardArgs& args, const Tensor* gamma, const Tensor* beta, float epsilon,
                                  BackwardResult& result);
// Softmax over the last axis; keep [rows·F] says which entries the mask keeps (empty: no mask).
void softmax_backward(const BackwardArgs& args, const std::vector<std::uint8_t>& keep, BackwardResult& result);

// An attention layer's input gradients, recorded by role and handed back in the order it read its inputs:
// query, value, then key when a key tensor was given. Without one the value served as the key too, and
// d_value already holds both paths (d_key is then unused).
void record_attention_input_gradients(const BackwardArgs& args, Tensor d_query, Tensor d_value, Tensor d_key,
                                      bool has_key, BackwardResult& result);

// Attention (the Keras layer): the config and its scalar weights (nullptr when absent).
struct AttentionSpec {
  bool use_scale = false, concat = false, causal = false, has_key = false;
  const Tensor* scale = nullptr;                // []
  const Tensor* concat_score_weight = nullptr;  // []
};
void attention_backward(const BackwardArgs& args, const AttentionSpec& spec, BackwardResult& result);

// MultiHeadAttention: the config; the weights are read from `layer` by their Keras names.
struct MultiHeadAttentionSpec {
  std::size_t N = 0, H = 0, Hv = 0, E = 0;
  bool use_bias = true, causal = false, explicit_path = false, has_key = false;
  const std::vector<std::uint8_t>* attention_mask = nullptr;  // [B, T, S], true = may attend
};
void multi_head_attention_backward(const BackwardArgs& args, const MultiHeadAttentionSpec& spec, const Layer& layer,
                                   BackwardResult& result);

}  // namespace maskviz
