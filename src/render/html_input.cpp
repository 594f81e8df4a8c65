// The scenario's input: tokens as a grid of numbers ([B, T]), values as one heatmap per sequence
// ([B, T, F]); the steps the model's first mask marks are hatched in both.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "render/html_doc.h"
#include "render/html_heatmap.h"
#include "render/html_panel.h"

namespace maskviz::html {

namespace {

constexpr int kToken = 26;

bool masked_at(const Mask* mask, std::size_t b, std::size_t t) {
  return mask != nullptr && b < mask->batch && t < mask->time && !mask->at(b, t);
}

std::string token_grid(const Tensor& x, const Mask* mask, const View& view) {
  const std::size_t T = x.dim(1);
  const int width = 40 + static_cast<int>(view.steps.size()) * kToken;
  const int height = 16 + static_cast<int>(view.sequences.size()) * kToken;
  std::string body;
  body += "<text x=\"36\" y=\"11\" class=\"ax\" text-anchor=\"end\">t →</text>";
  const std::size_t every = view.steps.size() > 24 ? 4 : 1;  // long axes: every fourth label
  for (std::size_t c = 0; c < view.steps.size(); c += every)
    body += fmt::format("<text x=\"{}\" y=\"11\" class=\"ax\" text-anchor=\"middle\">{}</text>",
                        40 + static_cast<int>(c) * kToken + kToken / 2, view.steps[c]);
  for (std::size_t r = 0; r < view.sequences.size(); ++r) {
    const std::size_t b = view.sequences[r];
    const int y = 16 + static_cast<int>(r) * kToken;
    body += fmt::format("<text x=\"36\" y=\"{}\" class=\"ax\" text-anchor=\"end\">b={}</text>", y + 16, b);
    for (std::size_t c = 0; c < view.steps.size(); ++c) {
      const std::size_t t = view.steps[c];
      const int x0 = 40 + static_cast<int>(c) * kToken;
      const float token = x.values[b * T + t];
      body += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" class=\"token\" data-i=\"{}\" "
                          "data-v=\"{}\"/>",
                          x0, y, kToken, kToken, b * T + t, exact(token));
      if (masked_at(mask, b, t))  // under the token's number, so the 0 still reads
        body += fmt::format("<rect class=\"masked-step\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" "
                            "fill=\"url(#masked-hatch)\" data-b=\"{}\" data-t=\"{}\"/>",
                            x0, y, kToken, kToken, b, t);
      body += fmt::format("<text x=\"{}\" y=\"{}\" class=\"tk\" text-anchor=\"middle\">{}</text>", x0 + kToken / 2,
                          y + 17, exact(token));
    }
  }
  return fmt::format("<svg class=\"hm\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" data-layer=\"input\" "
                     "data-run=\"input\" data-axes=\"b,t\" data-shape=\"{}\">{}</svg>",
                     width, height, width, height, fmt::join(x.shape, ","), body);
}

std::string value_panels(const Tensor& x, const Mask* mask, const View& view) {
  const std::size_t T = x.dim(1), F = x.dim(2), Fd = View::features(F);
  float lo = std::numeric_limits<float>::infinity(), hi = -lo;
  for (std::size_t b : view.sequences)
    for (std::size_t t : view.steps)
      for (std::size_t f = 0; f < Fd; ++f)
        if (const float v = x.values[(b * T + t) * F + f]; std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  if (lo > hi) lo = hi = 0;
  std::string out = fmt::format("<div class=\"legends\">{}</div><div class=\"panels\">", value_legend(lo, hi, mask != nullptr));
  for (std::size_t b : view.sequences) {
    Panel p;
    p.caption = fmt::format("sequence b={}", b);
    p.attributes = fmt::format("data-layer=\"input\" data-run=\"input\" data-axes=\"b,t,f\" data-shape=\"{}\"",
                               fmt::join(x.shape, ","));
    for (std::size_t f = 0; f < Fd; ++f) p.row_labels.push_back(fmt::format("f={}", f));
    p.corner.push_back('t');  // not = "t": GCC 12 warns falsely (-Wrestrict) on that inlined assignment
    for (std::size_t t : view.steps) {
      p.col_labels.push_back(fmt::format("{}", t));
      p.col_b.push_back(static_cast<long long>(b));
      p.col_t.push_back(static_cast<long long>(t));
      p.hatched.push_back(masked_at(mask, b, t) ? 1 : 0);
    }
    p.cell = [&, b, lo, hi](std::size_t f, std::size_t c) {
      const std::size_t i = (b * T + view.steps[c]) * F + f;
      return PanelCell{x.values[i], i, value_colour(x.values[i], lo, hi)};
    };
    out += panel_svg(p);
  }
  return out + "</div>";
}

}  // namespace

std::string input_figure(const Tensor& input, bool tokens, const Mask* mask, const View& view) {
  if (tokens) return fmt::format("<div class=\"panels\"><div class=\"panel\">{}</div></div>", token_grid(input, mask, view));
  if (input.rank() == 3) return value_panels(input, mask, view);
  return "<p class=\"dim\">an input of this shape is not drawn</p>";
}

}  // namespace maskviz::html
