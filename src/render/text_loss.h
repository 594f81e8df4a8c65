// The loss as a table (each term, its mask weight, whether it counts) and its reduction spelled out
// with the actual numbers, beside the other run's value.
#pragma once

#include "render/text_printer.h"

namespace maskviz {

// `other` is the same loss in the other run, shown beside this one (nullptr: not shown).
void print_loss(Printer& p, const LossRecord& loss, RunMode mode, const LossRecord* other);

// diff: one row per term, its target, its term and weight in the masked run and in the unmasked run; then the
// term's formula with one worked example.
void print_loss_terms_both(Printer& p, const LossRecord& masked, const LossRecord& unmasked);

// "(0.1234 + 0.5678) / 2 = 0.3456": the terms that count, summed and divided, with the recorded value.
std::string loss_reduction_text(const Printer& p, const LossRecord& loss);

}  // namespace maskviz
