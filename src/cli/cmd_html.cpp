// `maskviz html SCENARIO [-o FILE]`: the trace as one self-contained page, with the selectors and
// --detail of `run`.
#include <fmt/format.h>

#include <sstream>

#include "cli/commands.h"
#include "cli/common.h"
#include "io/output_file.h"
#include "render/html.h"

namespace maskviz::cli {

namespace {

struct HtmlCommandOptions {
  ScenarioOptions scenario;
  TextFlags select;    // only --batch, --steps and --layer are declared
  std::string output;  // empty or "-": standard output
};

}  // namespace

void setup_html(CLI::App& app, std::function<int()>& action) {
  auto options = std::make_shared<HtmlCommandOptions>();
  auto* sub = app.add_subcommand("html", "write the trace of both runs as one self-contained page with SVG figures");
  add_scenario_options(*sub, options->scenario);
  sub->add_option("--batch", options->select.batch, "only this sequence (0-based)")->check(CLI::NonNegativeNumber);
  sub->add_option("--steps", options->select.steps, "only steps A to B, inclusive (A:B, 0-based)");
  sub->add_option("--layer", options->select.layer, "only this layer (by name)");
  sub->add_option("-o,--output", options->output, "write to FILE instead of standard output (- for standard output)");
  sub->callback([options, &action] {
    action = [options] {
      const Loaded loaded = load(options->scenario);
      HtmlOptions html;
      html.selection = text_options(options->select, loaded.scenario).selection();
      // run_both() computes both runs' gradients when the scenario has them, once; else the page says why.
      const Trace trace = run_both(loaded.scenario, loaded.detail);
      html.no_gradients = no_gradients_reason(loaded.scenario);
      // Rendered in full before anything is written: an error leaves no page behind.
      std::ostringstream page;
      write_html_page(trace, html, page);
      const std::string text = page.str();
      // The file rules of every -o: never half a page, a link followed, a device written in place.
      io::write_output(options->output.empty() ? "-" : options->output,
                       [&text](std::ostream& out) { out.write(text.data(), static_cast<std::streamsize>(text.size())); });
      return 0;
    };
  });
}

}  // namespace maskviz::cli
