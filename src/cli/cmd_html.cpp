// `maskviz html SCENARIO [-o FILE]`: the trace as one self-contained page, with the selectors and
// --detail of `run`.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "cli/common.h"
#include "core/errors.h"
#include "render/html.h"

namespace maskviz::cli {

namespace {

struct HtmlCommandOptions {
  ScenarioOptions scenario;
  TextFlags select;    // only --batch, --steps and --layer are declared
  std::string output;  // empty or "-": standard output
};

// The one place the page reaches a file. Branch `io` brings io::write_output(path, write) with the
// file rules of every command; at merge this body becomes that call. Until then, the same rules in short:
// a link is followed (the link stays, its target gets the page), a device or pipe is written directly,
// and a regular file is written beside its target and renamed into place, so it is never half a page.
void write_output(const std::string& path, const std::function<void(std::ostream&)>& write) {
  namespace fs = std::filesystem;
  if (path.empty() || path == "-") {
    std::ostringstream page;
    write(page);
    const std::string text = page.str();
    std::fwrite(text.data(), 1, text.size(), stdout);
    if (std::fflush(stdout) != 0) throw UsageError("cannot write to standard output");
    return;
  }
  std::error_code ec;
  const fs::path target = fs::is_symlink(fs::symlink_status(path, ec)) ? fs::weakly_canonical(path, ec) : fs::path(path);
  const fs::file_status status = fs::status(target, ec);
  if (fs::exists(status) && !fs::is_regular_file(status)) {
    std::ofstream device(target, std::ios::binary);
    if (!device) throw UsageError(fmt::format("cannot open \"{}\" for writing", path));
    write(device);
    if (!device.flush()) throw UsageError(fmt::format("cannot write \"{}\"", path));
    return;
  }
  const std::string partial = target.string() + ".partial";
  {
    std::ofstream file(partial, std::ios::binary);
    if (!file) throw UsageError(fmt::format("cannot open \"{}\" for writing", path));
    write(file);
    if (!file.flush()) {
      std::remove(partial.c_str());
      throw UsageError(fmt::format("cannot write \"{}\"", path));
    }
  }
  if (std::rename(partial.c_str(), target.c_str()) != 0) {
    std::remove(partial.c_str());
    throw UsageError(fmt::format("cannot write \"{}\"", path));
  }
}

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
      const Trace trace = run_both(loaded.scenario, loaded.detail);
      // Rendered in full before anything is written: an error leaves no page behind.
      std::ostringstream page;
      write_html_page(trace, html, page);
      const std::string text = page.str();
      write_output(options->output, [&text](std::ostream& out) { out.write(text.data(), static_cast<std::streamsize>(text.size())); });
      return 0;
    };
  });
}

}  // namespace maskviz::cli
