// Renderers read a Trace (engine/record.h) and never a layer's internals.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <utility>

#include "analysis/compare.h"
#include "engine/engine.h"
#include "scenario/scenario.h"

namespace maskviz {

struct TextOptions {
  int precision = 4;                 // digits after the decimal point
  bool color = false;                // ANSI colour and emphasis (only on a terminal, never with NO_COLOR)
  bool ascii = false;                // no Unicode box or mask glyphs
  bool notes = true;                 // plain-words notes at the points where learners go wrong
  std::optional<RunMode> mode;       // run: only this run
  std::optional<std::size_t> batch;  // only this sequence
  std::optional<std::pair<std::size_t, std::size_t>> steps;  // only steps [first, last], inclusive
  std::optional<std::string> layer;  // only this layer (by name)
  bool summary = false;              // per-layer summary only (set for large scenarios without selectors)
  std::size_t width = 100;           // columns available

  Selection selection() const { return {batch, steps, layer}; }
};

// `maskviz run`: both runs (or one), layer by layer and step by step.
void render_run(const Trace& trace, const TextOptions& options, std::ostream& out);

// `maskviz diff`: the two runs side by side. Whether they differ is compare_runs(...).differs().
void render_diff(const Trace& trace, const TextOptions& options, std::ostream& out);

// `maskviz validate`: the model as a table, and what each layer does with a mask.
void render_validate(const Scenario& scenario, Detail detail, const TextOptions& options, std::ostream& out);

// `maskviz export`: the whole trace as JSON (see docs/trace-format.md and docs/trace.schema.json).
void write_trace_json(const Trace& trace, std::ostream& out);

}  // namespace maskviz
