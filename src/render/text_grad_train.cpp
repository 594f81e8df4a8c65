// One optimizer step, weight by weight: each weight's rows before and after, a row that did not move
// named as such. With a masked loss the padding row of an embedding gets gradient 0: sgd and adam
// leave it, AdamW's decoupled weight decay shrinks it anyway (w ← w - w·wd·lr).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "analysis/grad_words.h"
#include "render/text_format.h"
#include "render/text_grad.h"

namespace maskviz {

namespace {

std::string settings(const TrainSpec& t, const Style& s) {
  std::string text = fmt::format("{} {} learning_rate {}", t.optimizer, s.bullet(), t.learning_rate);
  if (t.optimizer != "sgd") text += fmt::format(", beta_1 {}, beta_2 {}, epsilon {}", t.beta_1, t.beta_2, t.epsilon);
  if (t.weight_decay) text += fmt::format(", weight_decay {}", *t.weight_decay);
  return text;
}

constexpr std::size_t kSideBySide = 6;  // wider rows show the change after - before instead

void print_weight(Printer& p, const NamedTensor& before, const NamedTensor& after, const Tensor& gradient) {
  const std::size_t n = before.value.row_length(), rows = before.value.size() / n;
  const bool side_by_side = n <= kSideBySide;
  Grid grid(side_by_side ? 2 * n : n);
  if (side_by_side) grid.set_groups({{"before", 0, n}, {"after", n, n}});
  else grid.set_groups({{"after - before", 0, n}});
  for (std::size_t r = 0; r < rows; ++r) {
    std::vector<Cell> cells;
    bool same = true;
    for (std::size_t i = 0; i < n; ++i) same &= before.value.row(r)[i] == after.value.row(r)[i];
    for (std::size_t i = 0; i < n && side_by_side; ++i)
      cells.push_back({grad_number(before.value.row(r)[i], p.precision()), Tone::plain});
    float largest_change = 0;  // |after - before|, the row's largest
    for (std::size_t i = 0; i < n; ++i) {
      const float change = after.value.row(r)[i] - before.value.row(r)[i];
      largest_change = std::max(largest_change, std::fabs(change));
      cells.push_back({grad_number(side_by_side ? after.value.row(r)[i] : change, p.precision()),
                       same ? Tone::dim : Tone::plain});
    }
    bool no_gradient = true;
    for (std::size_t i = 0; i < n; ++i) no_gradient &= gradient.row(r)[i] == 0.0f;
    // A moved row says by how much, so that a move smaller than the last printed digit (before and after
    // print the same) still reads as a move and not as a contradiction.
    const std::string what = same          ? "unchanged"
                             : no_gradient ? fmt::format("decay only (gradient 0), by up to {}",
                                                         scalar(largest_change, p.precision()))
                                           : fmt::format("moved, by up to {}", scalar(largest_change, p.precision()));
    grid.add_row({{rows == 1 ? "" : fmt::format("row {}", r), Tone::plain}}, std::move(cells),
                 {{what, same ? Tone::good : no_gradient ? Tone::warning : Tone::plain}});
  }
  p.line("  " + rows_moved_words(before.name, before.value, rows_moved(before.value, after.value)));
  p.grid(grid, 4);
}

}  // namespace

void print_train(Printer& p, const GradRecord& grad) {
  const TrainRecord& t = grad.train;
  p.heading(fmt::format("one training step {} {}", p.style().bullet(), t.spec.optimizer));
  p.paragraph(settings(t.spec, p.style()) + ", from a fresh optimizer state (Keras 3.15.1's update rules).", "  ");
  if (t.spec.weight_decay)
    p.note(fmt::format("weight decay is applied to every weight before the update, whatever its gradient: "
                       "w {} w - w {} {} {} {}, so even a row with gradient 0 shrinks.",
                       p.style().back_arrow(), p.style().times(), *t.spec.weight_decay, p.style().times(),
                       t.spec.learning_rate),
           2);
  for (std::size_t i = 0; i < t.weights_after.size(); ++i) {
    if (p.options().layer && *p.options().layer != grad.layers[i].name) continue;
    if (t.weights_after[i].empty()) continue;
    p.line(fmt::format("  {} ({})", grad.layers[i].name, grad.layers[i].type));
    for (std::size_t k = 0; k < t.weights_after[i].size(); ++k)
      print_weight(p, t.weights_before[i][k], t.weights_after[i][k], grad.layers[i].weights[k].value);
  }
}

}  // namespace maskviz
