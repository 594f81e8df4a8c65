// What a loss's reduction means, as facts every renderer reads the same way: whether a mask weighed
// the terms, how much a valid term weighs (N/V), how many terms were left out.
#pragma once

#include <cstddef>
#include <string>

#include "engine/record.h"

namespace maskviz {

struct LossExplanation {
  enum class Case {
    every_term,  // no mask: the loss is the mean of all N terms
    valid_mean,  // a mask with V > 0 valid terms: each weighs N/V, the loss is their mean
    none_valid,  // a mask with no valid term: N/V is N/0, divide_no_nan makes every weight 0, the loss 0
  };
  Case kind = Case::every_term;
  std::size_t total = 0;        // N
  std::size_t valid = 0;        // V
  std::size_t left_out = 0;     // N - V: masked terms, still computed, weighed 0
  float valid_weight = 1;       // N/V (0 when V = 0)
};

LossExplanation explain_loss(const LossRecord& loss);

// How the terms are weighed, in the words every renderer prints: "N = 4 terms, V = 2 valid: a valid term
// weighs N/V = 4/2 = 2, a masked one 0". `valid_weight` is N/V as the renderer writes numbers.
std::string loss_weight_words(const LossExplanation& e, const std::string& valid_weight);

}  // namespace maskviz
