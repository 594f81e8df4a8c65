// What every subcommand shares: reading the scenario, the memory limit and detail options, and the
// text options of run and diff.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "render/render.h"
#include "scenario/scenario.h"

namespace maskviz::cli {

struct ScenarioOptions {
  std::string path;               // "-" for standard input
  std::string max_memory = "1G";  // bytes, or with a K/M/G suffix: read by CLI11's AsSizeValue in load()
  Detail detail = Detail::full;   // mapped by CLI11's CheckedTransformer
  const CLI::Option* detail_option = nullptr;  // whether --detail was given (else the size decides)
  bool draw_weights = true;       // validate: false, it shows no weight's values
};

struct TextFlags {
  int precision = 4;
  bool no_color = false;
  bool ascii = false;
  bool no_notes = false;
  std::string mode;
  long long batch = -1;
  std::string steps;
  std::string layer;
  std::size_t width = 0;
};

void add_scenario_options(CLI::App& app, ScenarioOptions& options);
void add_text_options(CLI::App& app, TextFlags& flags, bool with_mode);
void add_width_option(CLI::App& app, TextFlags& flags);  // part of add_text_options; validate takes it alone

struct Loaded {
  Scenario scenario;
  Detail detail;
};
// Reads and validates; throws ScenarioError or UsageError.
Loaded load(const ScenarioOptions& options);

// Resolves the flags against the trace (a --layer or --batch that does not exist is a UsageError).
TextOptions text_options(const TextFlags& flags, const Scenario& scenario);

// Why `grad` and the page show no gradients for this scenario (no loss, or no backward pass), as one
// sentence ending in "."; "" when run_both() computes them.
std::string no_gradients_reason(const Scenario& scenario);

// Writes `text` to stdout in one piece, so that an error never leaves half a trace behind; a failed
// write is an io::WriteError.
void emit(const std::string& text);

}  // namespace maskviz::cli
