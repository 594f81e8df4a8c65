// `maskviz diff SCENARIO`: the two runs side by side. Exit status as diff(1): 0 same, 1 different.
#include <sstream>

#include "cli/commands.h"
#include "cli/common.h"

namespace maskviz::cli {

namespace {
struct DiffOptions {
  ScenarioOptions scenario;
  TextFlags text;
};
}  // namespace

void setup_diff(CLI::App& app, std::function<int()>& action) {
  auto options = std::make_shared<DiffOptions>();
  auto* sub = app.add_subcommand("diff", "set the masked and unmasked runs side by side (exit 1 when they differ)");
  add_scenario_options(*sub, options->scenario);
  add_text_options(*sub, options->text, false);
  sub->callback([options, &action] {
    action = [options] {
      const Loaded loaded = load(options->scenario);
      const TextOptions text = text_options(options->text, loaded.scenario);
      const Trace trace = run_both(loaded.scenario, loaded.detail);
      std::ostringstream out;
      render_diff(trace, text, out);
      emit(out.str());
      return compare_runs(trace, text.selection()).differs() ? 1 : 0;
    };
  });
}

}  // namespace maskviz::cli
