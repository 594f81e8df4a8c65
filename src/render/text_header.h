// What `run` and `diff` print first: the scenario (name, description, seed, detail), the selection,
// and the input with its batch and time axes labelled.
#pragma once

#include <string_view>

#include "render/text_printer.h"

namespace maskviz {

void print_header(Printer& p, const Scenario& scenario, Detail detail, std::string_view command);
void print_input(Printer& p, const Scenario& scenario);
// For a large scenario shown as a summary: one line on how to see every number of a part of it.
void print_summary_hint(Printer& p, const Scenario& scenario);

}  // namespace maskviz
