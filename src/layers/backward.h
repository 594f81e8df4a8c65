// The backward passes of the non-recurrent layers, one free function per layer, each in
// <layer>_backward.cpp with its equations on top (the recurrent one is RnnLayer::backward, rnn_backward.cpp).
#pragma once

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

}  // namespace maskviz
