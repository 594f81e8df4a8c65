// `maskviz grad`: the backward pass of both runs as teaching text, read from the gradient record only
// (grad/grad_record.h). text_grad.cpp walks the layers from the loss back to the input and answers the
// forum's questions; text_grad_steps.cpp shows recurrent steps and embedding rows; text_grad_train.cpp
// the weights before and after one optimizer step.
#pragma once

#include <ostream>

#include "grad/grad_record.h"
#include "render/render.h"
#include "render/text_printer.h"

namespace maskviz {

void render_grad(const Trace& trace, const TextOptions& options, std::ostream& out);

// A number of the backward pass: fixed-point as everywhere, but scientific when it is too large to read
// (an overflowing padding row holds 3e38).
std::string grad_number(float value, int precision);

// A [rows, cols] tensor as aligned rows ("row 0", ...), columns grouped (gate blocks) when `group` > 0.
void print_matrix(Printer& p, const Tensor& m, std::size_t group, const std::vector<std::string>& group_names,
                  std::size_t indent);
// Each (sequence, step) of a recurrent layer: its term of each weight gradient, masked ones exactly 0.
void print_grad_steps(Printer& p, const LayerGradient& layer);
// Each embedding row's gradient with the lookups that fed it.
void print_grad_lookups(Printer& p, const LayerGradient& layer);
// ∂loss/∂(tensor) one row per (sequence, step), masked rows marked; exactly-0 masked rows said so.
void print_grad_rows(Printer& p, const Tensor& t, const OptMask& mask, const std::string& what);
// Attention layers (text_grad_attention.cpp): the gradient each input tensor receives, and the answer to
// "do masked keys and values get exactly 0?" from those numbers ("" when nothing is masked).
void print_grad_attention_inputs(Printer& p, const LayerGradient& layer);
std::string attention_answer(const LayerGradient& layer);
// Weights before and after one optimizer step, unchanged rows named.
void print_train(Printer& p, const GradRecord& grad);
// For `maskviz diff` (text_diff_grad.cpp): which weights' gradients differ between the runs, and where.
void print_gradient_diff(Printer& p, const GradRecord& masked, const GradRecord& unmasked);

}  // namespace maskviz
