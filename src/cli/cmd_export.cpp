// `maskviz export SCENARIO [-o FILE]`: the whole trace as JSON, for notebooks.
#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "cli/common.h"
#include "core/errors.h"

namespace maskviz::cli {

namespace {
struct ExportOptions {
  ScenarioOptions scenario;
  std::string output;  // empty: standard output
};
}  // namespace

void setup_export(CLI::App& app, std::function<int()>& action) {
  auto options = std::make_shared<ExportOptions>();
  auto* sub = app.add_subcommand("export", "write the whole trace of both runs as JSON");
  add_scenario_options(*sub, options->scenario);
  sub->add_option("-o,--output", options->output, "write to FILE instead of standard output");
  sub->callback([options, &action] {
    action = [options] {
      const Loaded loaded = load(options->scenario);
      const Trace trace = run_both(loaded.scenario, loaded.detail);
      if (options->output.empty()) {
        write_trace_json(trace, std::cout);
        std::cout.flush();
        return 0;
      }
      // Written beside the target and renamed into place, so a failure never leaves half a file.
      const std::string partial = options->output + ".partial";
      {
        std::ofstream file(partial, std::ios::binary);
        if (!file) throw UsageError(fmt::format("cannot open \"{}\" for writing", options->output));
        write_trace_json(trace, file);
        if (!file.flush()) throw UsageError(fmt::format("cannot write \"{}\"", options->output));
      }
      if (std::rename(partial.c_str(), options->output.c_str()) != 0)
        throw UsageError(fmt::format("cannot write \"{}\"", options->output));
      return 0;
    };
  });
}

}  // namespace maskviz::cli
