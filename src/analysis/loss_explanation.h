// What a loss's reduction means, as facts every renderer reads the same way: whether a mask weighed
// the terms, how much a valid term weighs (N/V), how many terms were left out.
#pragma once

#include <cstddef>
#include <functional>
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

// What N counts, in words: "N = 4 terms: one per sequence and time step of the output (batch 1 × 4 steps),
// not the batch size". Keras computes one term per position of the output but its last axis.
std::string loss_count_words(const LossRecord& loss);

// Why a valid term weighs N/V rather than the loss dividing by V, with the Keras source lines (empty
// without a mask).
std::string loss_rescale_words(const LossExplanation& e);

// How renderers write one number (their precision); the analysis only arranges the words.
using NumberText = std::function<std::string(float)>;

// A term's formula in its loss's own words ("L = mean over the 3 features of (ŷ − y)²"), and the term at
// `index` worked out from the scores and target the loss read ("b=0 t=0: ((0.0234 − 0)² + ...) / 3 =
// 1.6747"). `worked` is empty when the record holds no scores (a record from elsewhere).
struct LossFormula {
  std::string formula;
  std::string symbols;  // what the letters stand for
  std::string worked;
};
LossFormula loss_formula(const LossRecord& loss, std::size_t index, const NumberText& number);

// The first term that counts (weight != 0), or the first term when none does.
std::size_t example_term(const LossRecord& loss);

}  // namespace maskviz
