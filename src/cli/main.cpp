// maskviz: see what masking does in Keras, number by number.
// Stages kept apart: parse arguments -> load and validate -> run -> render. Errors are printed here only.
#include <fmt/format.h>

#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "core/errors.h"

#ifndef MASKVIZ_VERSION
#define MASKVIZ_VERSION "dev"
#endif

namespace {

int fail(const std::string& message) {
  std::fflush(stdout);
  fmt::print(stderr, "error: {}\n", message);
  return 2;
}

// One line, and nothing a terminal would act on: a scenario's keys and names reach the message verbatim.
std::string one_line(std::string text) {
  for (char& c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    else if (u < 0x20 || u == 0x7f) c = '?';
  }
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"maskviz: runs a Keras model twice, with and without its masks, and shows every number.\n"
               "Keras 3.15.1 semantics, float32.",
               "maskviz"};
  app.set_version_flag("--version", std::string("maskviz ") + MASKVIZ_VERSION + " (Keras 3.15.1 semantics)");
  app.require_subcommand(1);
  std::function<int()> action;
  maskviz::cli::setup_run(app, action);
  maskviz::cli::setup_diff(app, action);
  maskviz::cli::setup_export(app, action);
  maskviz::cli::setup_validate(app, action);
  maskviz::cli::setup_html(app, action);

  std::string source = "-";
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // CLI11 would exit 100-127; a wrong command line is our status 2, like a wrong scenario.
    return fail(fmt::format("{} (see maskviz --help)", one_line(e.what())));
  }
  for (const auto* sub : app.get_subcommands())
    if (const auto* positional = sub->get_option_no_throw("SCENARIO"); positional != nullptr && positional->count() > 0)
      source = positional->as<std::string>() == "-" ? "<stdin>" : one_line(positional->as<std::string>());

  try {
    return action();
  } catch (const maskviz::ScenarioError& e) {
    if (e.pointer().empty()) return fail(fmt::format("{}: {}", source, one_line(e.what())));
    return fail(fmt::format("{}: {}: {}", source, one_line(e.pointer()), one_line(e.what())));
  } catch (const maskviz::UsageError& e) {
    return fail(fmt::format("{}: {}", source, one_line(e.what())));
  } catch (const std::bad_alloc&) {
    std::fflush(stdout);
    fmt::print(stderr, "error: {}: out of memory; lower --max-memory or record less with --detail outputs\n", source);
    return 1;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    fmt::print(stderr, "error: {}: internal error: {}\n", source, one_line(e.what()));
    return 1;
  }
}
