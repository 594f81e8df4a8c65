// The backward pass's fields of the JSON trace (docs/trace-format.md, "Gradients"): written by
// json_export.cpp at the places the contract puts them, from the gradient record only.
#pragma once

#include <functional>

#include "grad/grad_record.h"
#include "render/json_writer.h"

namespace maskviz {

// A tensor as nested arrays in its shape (a scalar as a number; a Tensor the record did not fill as null),
// and a list of named tensors as an object by name: written once, in json_export.cpp, for every field.
void write_tensor(JsonWriter& w, const Tensor& tensor);
void write_named(JsonWriter& w, const std::vector<NamedTensor>& tensors);

// "gradients" (same keys as "weights") and "output_gradient"; both null without a loss.
void write_layer_gradients(JsonWriter& w, const LayerGradient* grad, const std::function<void(const char*, const std::function<void()>&)>& field);
// A recurrent step's "gradient": {kernel, recurrent_kernel, bias}, its own term of the sum; null otherwise.
void write_step_gradient(JsonWriter& w, const StepGradient* step);
// The run's "train": the optimizer, its settings and weights_after by layer position; null without a loss.
void write_train(JsonWriter& w, const GradRecord* grad);

}  // namespace maskviz
