// Keras 3 losses and their masked reduction (keras/src/losses/loss.py, keras/src/losses/losses.py).
#pragma once

#include "engine/record.h"
#include "loss/loss_spec.h"

namespace maskviz {

// y_pred: [..., C]; terms are reduced over the last axis, giving [B] or [B, T].
// keras_logits: the input of a final sigmoid/softmax, which Keras' TF backend uses instead of y_pred.
LossRecord compute_loss(const LossSpec& spec, const Tensor& y_pred, const Tensor* keras_logits, const OptMask& mask,
                        const Tensor& target);

}  // namespace maskviz
