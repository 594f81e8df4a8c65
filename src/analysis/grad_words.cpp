#include "analysis/grad_words.h"

#include <fmt/format.h>

#include "core/tensor.h"

namespace maskviz {

std::string padding_row_words(const GradRecord& g, std::size_t i, RunMode mode) {
  if (i >= g.layers.size() || g.layers[i].kind != LayerGradient::Kind::lookup_table || g.layers[i].weights.empty())
    return "";
  const Tensor& d = g.layers[i].weights[0].value;
  const auto& before = g.train.weights_before[i][0].value;
  const auto& after = g.train.weights_after[i][0].value;
  bool zero = true, same = true;
  for (std::size_t f = 0; f < d.row_length(); ++f) {
    zero &= d.values[f] == 0.0f;
    same &= before.values[f] == after.values[f];
  }
  return zero ? fmt::format("Row 0 of {} (the padding token) has gradient exactly 0 here{}.", g.layers[i].name,
                            same ? " and does not move" : ", yet moved: weight decay shrinks every weight")
              : fmt::format("Row 0 of {} (the padding token) has a real gradient here ({}): padding reaches "
                            "the loss, so it learns like any other row.",
                            g.layers[i].name, mode == RunMode::masked ? "a layer dropped the mask" : "no mask");
}

RowsMoved rows_moved(const Tensor& before, const Tensor& after) {
  RowsMoved r;
  const std::size_t n = before.row_length();
  r.rows = n == 0 ? 0 : before.size() / n;
  for (std::size_t row = 0; row < r.rows; ++row) {
    bool same = true;
    for (std::size_t i = 0; i < n; ++i) same &= before.row(row)[i] == after.row(row)[i];
    r.unchanged += same ? 1 : 0;
    r.moved.push_back(same ? 0 : 1);
  }
  return r;
}

std::string rows_moved_words(const std::string& name, const Tensor& weight, const RowsMoved& rows) {
  return fmt::format("{} {}: {} of {} rows unchanged", name, shape_text(weight.shape), rows.unchanged, rows.rows);
}

}  // namespace maskviz
