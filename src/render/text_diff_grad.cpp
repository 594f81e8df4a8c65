// `maskviz diff`, when there is a loss: which weights' gradients differ between the runs, and in which
// rows, the padding row of an embedding first. Read from the two gradient records only.
#include <fmt/format.h>

#include <cmath>

#include "render/text_format.h"
#include "render/text_grad.h"

namespace maskviz {

namespace {

// Rows (first axis) where the two gradients differ, and the largest difference. NaN on one side counts.
std::vector<std::size_t> differing_rows(const Tensor& a, const Tensor& b, float& largest) {
  std::vector<std::size_t> rows;
  const std::size_t n = a.rank() < 2 ? a.size() : a.row_length();
  for (std::size_t r = 0; r < a.size() / n; ++r) {
    bool differs = false;
    for (std::size_t i = r * n; i < (r + 1) * n; ++i) {
      const float x = a.values[i], y = b.values[i];
      if (x == y || (std::isnan(x) && std::isnan(y))) continue;
      differs = true;
      largest = std::isnan(x) || std::isnan(y) ? NAN : std::max(largest, std::fabs(x - y));
    }
    if (differs) rows.push_back(r);
  }
  return rows;
}

std::string rows_text(const std::vector<std::size_t>& rows, std::size_t total, bool embedding) {
  if (rows.empty()) return "identical";
  if (rows.size() == total && !embedding) return total == 1 ? "differs" : fmt::format("all {} rows", total);
  std::string text;
  for (std::size_t i = 0; i < rows.size() && i < 6; ++i)
    text += fmt::format("{}row {}{}", i == 0 ? "" : ", ", rows[i], embedding && rows[i] == 0 ? " (padding)" : "");
  if (rows.size() > 6) text += fmt::format(", … {} rows", rows.size());
  return text;
}

}  // namespace

void print_gradient_diff(Printer& p, const GradRecord& masked, const GradRecord& unmasked) {
  p.heading(fmt::format("gradients {} masked vs unmasked run", p.style().bullet()));
  Grid grid(1);
  grid.set_label_header({{"weight", Tone::heading}});
  grid.set_header(0, "max |Δ|");
  grid.set_trail_header({{"rows that differ", Tone::heading}});
  std::size_t differ = 0, total = 0;
  for (std::size_t i = 0; i < masked.layers.size(); ++i) {
    for (std::size_t k = 0; k < masked.layers[i].weights.size(); ++k) {
      const auto& a = masked.layers[i].weights[k];
      const Tensor& b = unmasked.layers[i].weights[k].value;
      float largest = 0;
      const auto rows = differing_rows(a.value, b, largest);
      const std::size_t n_rows = a.value.rank() < 2 ? 1 : a.value.size() / a.value.row_length();
      ++total;
      differ += rows.empty() ? 0 : 1;
      grid.add_row({{fmt::format("{}/{}", masked.layers[i].name, a.name), Tone::plain}},
                   {{scalar(largest, p.precision()), rows.empty() ? Tone::dim : Tone::plain}},
                   {{rows_text(rows, n_rows, masked.layers[i].kind == LayerGradient::Kind::lookup_table),
                     rows.empty() ? Tone::good : Tone::bad}});
    }
  }
  p.grid(grid, 2);
  p.paragraph(differ == 0 ? "every weight gets the same gradient in both runs: the mask changes nothing the loss "
                            "can feel here."
                          : fmt::format("{} of {} weight gradients differ: the mask changes what each weight learns "
                                        "from (masked steps add exactly 0), never the weights themselves. `maskviz "
                                        "grad` shows them step by step.",
                                        differ, total),
              "  ");
}

}  // namespace maskviz
