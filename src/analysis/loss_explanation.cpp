#include "analysis/loss_explanation.h"

namespace maskviz {

LossExplanation explain_loss(const LossRecord& loss) {
  LossExplanation e;
  e.total = loss.total;
  e.valid = loss.valid;
  if (!loss.mask) return e;
  e.left_out = loss.total - loss.valid;
  if (loss.valid == 0) {
    e.kind = LossExplanation::Case::none_valid;
    e.valid_weight = 0;
    return e;
  }
  e.kind = LossExplanation::Case::valid_mean;
  e.valid_weight = static_cast<float>(loss.total) / static_cast<float>(loss.valid);
  return e;
}

}  // namespace maskviz
