// The gradient of the loss value with respect to the model's output (and the logits behind it).
#pragma once

#include <optional>

#include "engine/record.h"
#include "scenario/scenario.h"

namespace maskviz {

struct LossGradient {
  // ∂loss/∂y_pred [.., C]. When the loss read the logits behind a final sigmoid/softmax, TensorFlow's
  // tape has no path through y_pred: this is then ∂loss/∂p of the same loss written on the
  // probabilities without clipping, shown, never propagated.
  Tensor d_pred;
  std::optional<Tensor> d_logits;  // ∂loss/∂logits [.., C] when the loss read them (propagated)
};

// `record` is the forward's loss record (its per-term weights w: N/V kept, 0 masked, 1 without a mask).
LossGradient loss_backward(const LossSpec& spec, const Tensor& y_pred, const Tensor* keras_logits,
                           const LossRecord& record, const Tensor& target);

}  // namespace maskviz
