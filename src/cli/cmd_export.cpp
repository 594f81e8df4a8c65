// `maskviz export SCENARIO [-o FILE]`: the whole trace as JSON, for notebooks.
#include "cli/commands.h"
#include "cli/common.h"
#include "io/output_file.h"

namespace maskviz::cli {

namespace {
struct ExportOptions {
  ScenarioOptions scenario;
  std::string output;  // empty or "-": standard output
};
}  // namespace

void setup_export(CLI::App& app, std::function<int()>& action) {
  auto options = std::make_shared<ExportOptions>();
  auto* sub = app.add_subcommand("export", "write the whole trace of both runs as JSON");
  add_scenario_options(*sub, options->scenario);
  sub->add_option("-o,--output", options->output, "write to FILE instead of standard output (- is standard output)");
  sub->callback([options, &action] {
    action = [options] {
      const Loaded loaded = load(options->scenario);
      const Trace trace = run_both(loaded.scenario, loaded.detail);
      // "-" or no -o: standard output. io::write_output never replaces a link or a device and never
      // leaves half a file behind.
      io::write_output(options->output.empty() ? "-" : options->output,
                       [&trace](std::ostream& out) { write_trace_json(trace, out); });
      return 0;
    };
  });
}

}  // namespace maskviz::cli
