// The backward pass of a scenario: the forward again (to hold every layer's input), the loss gradient,
// then each layer's backward from the loss to the input, and one optimizer step.
#pragma once

#include <optional>
#include <string>

#include "engine/engine.h"
#include "grad/grad_record.h"
#include "scenario/scenario.h"

namespace maskviz {

// Nothing for a scenario without a loss. `record_steps` fills the per-step and per-lookup gradients.
std::optional<GradRecord> compute_gradients(const Scenario& scenario, RunMode mode, bool record_steps);

// Why this scenario has no backward pass although it has a loss, or "" when it has one: a model with
// branches, or a layer whose backward maskviz does not have yet.
std::string no_backward_reason(const Scenario& scenario);

// Both runs' gradients into the trace (RunRecord::grad); per-step records at Detail::full.
void attach_gradients(const Scenario& scenario, Trace& trace);

// What `train` says, or Keras' sgd with learning_rate 0.01 when the scenario has no `train`.
TrainSpec train_spec_of(const Scenario& scenario);

}  // namespace maskviz
