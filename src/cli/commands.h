// One file per subcommand: each has its options, a setup_x that declares them, and a run_x.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace maskviz::cli {

// Each setup adds its subcommand and sets `action` to the function that runs it and returns the exit status.
void setup_run(CLI::App& app, std::function<int()>& action);
void setup_diff(CLI::App& app, std::function<int()>& action);
void setup_export(CLI::App& app, std::function<int()>& action);
void setup_validate(CLI::App& app, std::function<int()>& action);
void setup_grad(CLI::App& app, std::function<int()>& action);  // cmd_grad.cpp
void setup_html(CLI::App& app, std::function<int()>& action);  // cmd_html.cpp

}  // namespace maskviz::cli
