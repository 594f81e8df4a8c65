// Keras 3 activations, applied along the last axis (only softmax needs the axis).
#pragma once

#include <string>
#include <vector>

namespace maskviz {

enum class Activation { linear, relu, tanh, sigmoid, softmax, hard_sigmoid, elu, gelu, swish };

const std::vector<std::string>& activation_names();
Activation activation_from_name(const std::string& name);  // name must be one of activation_names()
const char* activation_name(Activation activation);
// How an activation is written in an equation: "σ" for sigmoid, else its Keras name.
const char* activation_symbol(Activation activation);

// In place over `rows` vectors of length `n`, contiguous.
void apply_activation(Activation activation, float* values, std::size_t rows, std::size_t n);

// Keras' TF backend keeps the input of a sigmoid or softmax as `_keras_logits` on its output, and the
// crossentropy losses read them (keras/src/backend/tensorflow/nn.py, _get_logits).
inline bool keeps_keras_logits(Activation a) { return a == Activation::sigmoid || a == Activation::softmax; }

}  // namespace maskviz
