// maskviz: see what masking does in Keras, number by number.
// Stages kept apart: parse arguments -> load and validate -> run -> render. Errors are printed here only.
#include <fmt/format.h>

#include <sstream>

#include "cli/commands.h"
#include "core/errors.h"
#include "core/version.h"
#include "io/streams.h"


namespace {

// Every error ends here: one line, exit status 2. Writing it never throws, so that a failing standard
// error (2>/dev/full) cannot turn an error into a crash.
int fail(const std::string& message) {
  maskviz::io::write_stderr(fmt::format("error: {}\n", message));
  return 2;
}

// --help and --version: CLI11 prints them to std::cout, whose failures nobody would see; render them
// into a string and write it with the same checks as every other output.
int print_info(CLI::App& app, const CLI::Error& e) {
  std::ostringstream out, err;
  const int status = app.exit(e, out, err);
  maskviz::io::write_stdout(out.str());
  maskviz::io::write_stderr(err.str());
  return status;
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

int print_info_or_fail(CLI::App& app, const CLI::Error& e) {
  try {
    return print_info(app, e);
  } catch (const maskviz::io::WriteError& error) {
    return fail(error.what());
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{fmt::format("maskviz: runs a Keras model twice, with and without its masks, and shows every number.\n"
                           "Keras {} semantics, float32.",
                           maskviz::kKerasVersion),
               "maskviz"};
  app.set_version_flag("--version", fmt::format("maskviz {} (Keras {} semantics)", maskviz::kVersion, maskviz::kKerasVersion));
  app.require_subcommand(1);
  app.footer("Exit status: 0 done; 1 only when diff finds that the runs differ (as diff(1)); 2 for every error\n"
             "(a bad scenario or argument, a file that cannot be read or written), with one error: line.");
  std::function<int()> action;
  maskviz::cli::setup_run(app, action);
  maskviz::cli::setup_diff(app, action);
  maskviz::cli::setup_export(app, action);
  maskviz::cli::setup_validate(app, action);
  maskviz::cli::setup_grad(app, action);
  maskviz::cli::setup_html(app, action);

  std::string source = "-";
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return print_info_or_fail(app, e);
  } catch (const CLI::CallForAllHelp& e) {
    return print_info_or_fail(app, e);
  } catch (const CLI::CallForVersion& e) {
    return print_info_or_fail(app, e);
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
    return fail(fmt::format("{}: out of memory; lower --max-memory or record less with --detail outputs", source));
  } catch (const std::exception& e) {
    // Status 2 like every error: 1 means only "diff found the runs differ".
    return fail(fmt::format("{}: internal error: {}", source, one_line(e.what())));
  }
}
