#include "cli/common.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <sstream>

#include "core/errors.h"
#include "grad/backward.h"
#include "io/input_file.h"
#include "io/streams.h"

namespace maskviz::cli {

void add_scenario_options(CLI::App& app, ScenarioOptions& options) {
  app.add_option("SCENARIO", options.path, "scenario file (JSON), or - for standard input")->required();
  app.add_option("--max-memory", options.max_memory,
                 "refuse scenarios whose weights and record need more than this (bytes, or 512M, 2G)")
      ->default_str("1G");
  const std::map<std::string, Detail> details = {
      {detail_name(Detail::full), Detail::full},
      {detail_name(Detail::steps), Detail::steps},
      {detail_name(Detail::outputs), Detail::outputs}};
  options.detail_option =
      app.add_option("--detail", options.detail,
                     "how much to record: full (every product and gate), steps (flags and kept values per step), "
                     "outputs (layer outputs only); default: full unless the scenario is large")
          ->transform(CLI::CheckedTransformer(details));
}

void add_width_option(CLI::App& app, TextFlags& flags) {
  app.add_option("--width", flags.width, "columns to lay the output out in (default: COLUMNS, the terminal's, or 100)")
      ->check(CLI::Range(40, 1000));
}

void add_text_options(CLI::App& app, TextFlags& flags, bool with_mode) {
  app.add_option("--precision", flags.precision, "digits after the decimal point")->check(CLI::Range(0, 9))
      ->default_str("4");
  app.add_flag("--no-color", flags.no_color, "no colour or emphasis (also when NO_COLOR is set or not a terminal)");
  app.add_flag("--ascii", flags.ascii, "ASCII only: no Unicode boxes or mask glyphs");
  app.add_flag("--no-notes", flags.no_notes, "leave out the plain-words notes");
  if (with_mode)
    app.add_option("--mode", flags.mode, "print only one run")->check(CLI::IsMember({"masked", "unmasked"}));
  app.add_option("--batch", flags.batch, "only this sequence (0-based)")->check(CLI::NonNegativeNumber);
  app.add_option("--steps", flags.steps, "only steps A to B, inclusive (A:B, 0-based)");
  app.add_option("--layer", flags.layer, "only this layer (by name)");
  add_width_option(app, flags);
}

namespace {

// A size as CLI11's AsSizeValue reads it (K, M, G, T as powers of 1024, any case, an optional B), at
// load time so that the error names the scenario like every other.
std::size_t parse_size(const std::string& text) {
  static const CLI::AsSizeValue as_size(false);
  std::string bytes = text;
  bool is_size = false;
  try {
    is_size = as_size(bytes).empty();  // rewrites `bytes` into the number of bytes
  } catch (const CLI::Error&) {
    // an unknown unit or no number at all: said below in maskviz's words
  }
  if (!is_size) {
    const std::size_t digits = text.find_first_not_of("0123456789");
    if (digits == 0 || digits == std::string::npos)
      throw UsageError(fmt::format("--max-memory: \"{}\" is not a size; expected bytes, or a number with K, M or G",
                                   text));
    throw UsageError(fmt::format("--max-memory: unknown suffix \"{}\"; expected K, M or G", text.substr(digits)));
  }
  unsigned long long value = 0;
  try {
    value = std::stoull(bytes);
  } catch (const std::exception&) {  // more digits than 64 bits hold
    throw UsageError(fmt::format("--max-memory: \"{}\" is not a size; expected bytes, or a number with K, M or G",
                                 text));
  }
  if (value == 0 || value > (1ULL << 44))
    throw UsageError(fmt::format("--max-memory: {} is out of range; expected 1 byte to 16T", text));
  return static_cast<std::size_t>(value);
}

bool terminal_colors() {
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && no_color[0] != '\0') return false;
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::string(term) == "dumb") return false;
  return isatty(STDOUT_FILENO) != 0;
}

}  // namespace

Loaded load(const ScenarioOptions& options) {
  LoadOptions load_options;
  load_options.max_memory_bytes = parse_size(options.max_memory);
  load_options.draw_weights = options.draw_weights;
  if (options.detail_option != nullptr && options.detail_option->count() > 0) load_options.detail = options.detail;
  Scenario scenario = load_scenario(io::read_input(options.path), options.path, load_options);
  const Detail detail = load_options.detail.value_or(default_detail(scenario));
  return {std::move(scenario), detail};
}

TextOptions text_options(const TextFlags& flags, const Scenario& scenario) {
  TextOptions options;
  options.precision = flags.precision;
  options.color = !flags.no_color && terminal_colors();
  options.ascii = flags.ascii;
  options.notes = !flags.no_notes;
  if (flags.mode == "masked") options.mode = RunMode::masked;
  if (flags.mode == "unmasked") options.mode = RunMode::unmasked;
  const std::size_t B = scenario.input.dim(0), T = scenario.input.dim(1);
  if (flags.batch >= 0) {
    if (static_cast<std::size_t>(flags.batch) >= B)
      throw UsageError(fmt::format("--batch {} is out of range; the scenario has {} sequence{} (0 to {})",
                                   flags.batch, B, B == 1 ? "" : "s", B - 1));
    options.batch = static_cast<std::size_t>(flags.batch);
  }
  if (!flags.steps.empty()) {
    const auto colon = flags.steps.find(':');
    std::size_t first = 0, last = T - 1;
    try {
      if (colon == std::string::npos) {
        first = last = std::stoul(flags.steps);
      } else {
        if (colon > 0) first = std::stoul(flags.steps.substr(0, colon));
        if (colon + 1 < flags.steps.size()) last = std::stoul(flags.steps.substr(colon + 1));
      }
    } catch (const std::exception&) {
      throw UsageError(fmt::format("--steps \"{}\" is not a range; expected A:B, A:, :B or A", flags.steps));
    }
    if (first > last)
      throw UsageError(fmt::format("--steps {} is reversed; expected A:B with A <= B, such as {}:{}", flags.steps,
                                   last, first));
    if (last >= T)
      throw UsageError(fmt::format("--steps {} is out of range; the scenario has steps 0 to {}", flags.steps, T - 1));
    options.steps = std::pair{first, last};
  }
  if (!flags.layer.empty()) {
    std::string names;
    bool found = false;
    for (const auto& layer : scenario.layers) {
      found |= layer->name() == flags.layer;
      names += (names.empty() ? "" : ", ") + layer->name();
    }
    if (!found) throw UsageError(fmt::format("--layer \"{}\" is not in the scenario; its layers are: {}", flags.layer, names));
    options.layer = flags.layer;
  }
  // --width, else COLUMNS (also when piped: `COLUMNS=200 maskviz run S | less -S`), else the terminal's.
  options.width = flags.width;
  if (options.width == 0) {
    options.width = 100;
    if (const char* columns = std::getenv("COLUMNS"); columns != nullptr && columns[0] != '\0') {
      const long value = std::strtol(columns, nullptr, 10);
      if (value >= 40 && value <= 1000) options.width = static_cast<std::size_t>(value);
    } else if (winsize size{}; isatty(STDOUT_FILENO) != 0 && ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0) {
      // Shells set COLUMNS without exporting it: ask the terminal itself.
      if (size.ws_col >= 40 && size.ws_col <= 1000) options.width = size.ws_col;
    }
  }
  // Without selectors, a large scenario prints a summary and says how to see more.
  const bool selected = options.batch || options.steps || options.layer;
  options.summary = !selected && B * T > 64;
  return options;
}

std::string no_gradients_reason(const Scenario& scenario) {
  if (!scenario.loss)
    return "this scenario has no loss, so there is no backward pass to show; add \"target\" and \"loss\" to it.";
  const std::string why = no_backward_reason(scenario);
  return why.empty() ? why : why + ".";
}

void emit(const std::string& text) { io::write_stdout(text); }

}  // namespace maskviz::cli
