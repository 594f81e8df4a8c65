#include "analysis/loss_explanation.h"

#include <fmt/format.h>

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

std::string loss_weight_words(const LossExplanation& e, const std::string& valid_weight) {
  switch (e.kind) {
    case LossExplanation::Case::none_valid:
      return fmt::format("N = {} terms, V = 0 valid: N/V = {}/0, which Keras' divide_no_nan turns into 0, so every "
                         "weight is 0", e.total, e.total);
    case LossExplanation::Case::valid_mean:
      return fmt::format("N = {} terms, V = {} valid: a valid term weighs N/V = {}/{} = {}, a masked one 0", e.total,
                         e.valid, e.total, e.valid, valid_weight);
    case LossExplanation::Case::every_term:
      return fmt::format("N = {} terms, no mask: every term counts, each with weight 1", e.total);
  }
  return "";
}

}  // namespace maskviz
