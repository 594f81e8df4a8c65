// `maskviz run SCENARIO`: both runs, layer by layer and step by step.
#include <sstream>

#include "cli/commands.h"
#include "cli/common.h"

namespace maskviz::cli {

namespace {
struct RunOptions {
  ScenarioOptions scenario;
  TextFlags text;
};
}  // namespace

void setup_run(CLI::App& app, std::function<int()>& action) {
  auto options = std::make_shared<RunOptions>();
  auto* sub = app.add_subcommand("run", "run the masked and the unmasked pass and show every step");
  add_scenario_options(*sub, options->scenario);
  add_text_options(*sub, options->text, true);
  sub->callback([options, &action] {
    action = [options] {
      const Loaded loaded = load(options->scenario);
      const TextOptions text = text_options(options->text, loaded.scenario);
      const Trace trace = run_both(loaded.scenario, loaded.detail);
      std::ostringstream out;
      render_run(trace, text, out);
      emit(out.str());
      return 0;
    };
  });
}

}  // namespace maskviz::cli
