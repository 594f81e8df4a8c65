// `maskviz grad SCENARIO`: the backward pass of both runs and one training step, as teaching text.
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "cli/common.h"
#include "render/text_format.h"
#include "render/text_grad.h"

namespace maskviz::cli {

namespace {
struct GradOptions {
  ScenarioOptions scenario;
  TextFlags text;
};
}  // namespace

void setup_grad(CLI::App& app, std::function<int()>& action) {
  auto options = std::make_shared<GradOptions>();
  auto* sub = app.add_subcommand("grad", "show the gradients of both runs, step by step, and one training step");
  add_scenario_options(*sub, options->scenario);
  add_text_options(*sub, options->text, true);
  sub->callback([options, &action] {
    action = [options] {
      const Loaded loaded = load(options->scenario);
      const TextOptions text = text_options(options->text, loaded.scenario);
      if (const std::string why = no_gradients_reason(loaded.scenario); !why.empty()) {
        std::string lines;
        for (const auto& line : wrap(why, text.width, "", "")) lines += line + "\n";
        emit(lines);
        return 0;
      }
      const Trace trace = run_both(loaded.scenario, loaded.detail);
      std::ostringstream out;
      render_grad(trace, text, out);
      emit(out.str());
      return 0;
    };
  });
}

}  // namespace maskviz::cli
