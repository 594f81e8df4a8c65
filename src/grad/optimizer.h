// One optimizer step from a fresh state, as Keras 3.15.1 applies it (float32).
#pragma once

#include <vector>

#include "grad/grad_record.h"

namespace maskviz {

// The weights after one step; `grads` holds ∂loss/∂weight in the same order as `weights`.
std::vector<NamedTensor> optimizer_step(const TrainSpec& spec, const std::vector<Weight>& weights,
                                        const std::vector<NamedTensor>& grads);

}  // namespace maskviz
