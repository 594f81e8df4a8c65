// `maskviz validate SCENARIO`: checks the scenario and says what it would run; runs nothing.
#include <sstream>

#include "cli/commands.h"
#include "cli/common.h"

namespace maskviz::cli {

namespace {
struct ValidateOptions {
  ScenarioOptions scenario;
  TextFlags text;
};
}  // namespace

void setup_validate(CLI::App& app, std::function<int()>& action) {
  auto options = std::make_shared<ValidateOptions>();
  auto* sub = app.add_subcommand("validate", "check a scenario and show the model it describes; runs nothing");
  add_scenario_options(*sub, options->scenario);
  options->scenario.draw_weights = false;  // it runs nothing and shows no weight's values
  sub->add_flag("--no-color", options->text.no_color, "no colour or emphasis");
  sub->add_flag("--ascii", options->text.ascii, "ASCII only");
  add_width_option(*sub, options->text);
  sub->callback([options, &action] {
    action = [options] {
      const Loaded loaded = load(options->scenario);
      const TextOptions text = text_options(options->text, loaded.scenario);
      std::ostringstream out;
      render_validate(loaded.scenario, loaded.detail, text, out);
      emit(out.str());
      return 0;
    };
  });
}

}  // namespace maskviz::cli
