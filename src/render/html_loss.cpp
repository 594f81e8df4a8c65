// The loss terms as bars: the height is the term L, the label under it its weight w. A masked term is
// still computed (its bar is there) but weighs 0: hatched and outlined only.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "render/html_doc.h"
#include "render/html_parts.h"
#include "render/text_format.h"

namespace maskviz::html {

namespace {
constexpr int kBar = 36, kLossLeft = 40, kHeight = 90, kLossTop = 8;
}  // namespace

std::string loss_bars(const LossRecord& loss, const View& view, float top, const char* run) {
  const bool timed = loss.terms_shape.size() == 2;
  const std::size_t T = timed ? loss.terms_shape[1] : 1;
  std::string body;
  std::size_t column = 0;
  for (std::size_t i = 0; i < loss.terms.size() && column < View::kLossTerms; ++i) {
    const std::size_t b = i / T, t = i % T;
    if (!view.draws_sequence(b) || (timed && !view.draws_step(t))) continue;
    const float L = loss.terms[i];
    const bool counts = loss.weights[i] != 0.0f;
    const int h = std::isfinite(L) && top > 0 ? static_cast<int>(std::lround(std::clamp(L / top, 0.0f, 1.0f) * kHeight)) : 0;
    const int x = kLossLeft + static_cast<int>(column) * kBar;
    const std::string label = timed ? fmt::format("b={} t={}", b, t) : fmt::format("b={}", b);
    body += fmt::format("<g class=\"term{}\" data-b=\"{}\" data-t=\"{}\" data-w=\"{}\"><title>{}: {}</title>"
                        "<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" data-i=\"{}\" data-v=\"{}\"{}/>"
                        "<text x=\"{}\" y=\"{}\" class=\"ax\" text-anchor=\"middle\">{}</text>"
                        "<text x=\"{}\" y=\"{}\" class=\"ax\" text-anchor=\"middle\">w={}</text></g>",
                        counts ? "" : " masked", b, timed ? static_cast<long long>(t) : -1, exact(loss.weights[i]),
                        label, counts ? "counts" : "masked: left out", x + 3, kLossTop + kHeight - h, kBar - 6,
                        std::max(h, 1), i, exact(L), counts ? "" : " fill=\"url(#masked-hatch)\"", x + kBar / 2,
                        kLossTop + kHeight + 12, timed ? fmt::format("t={}", t) : fmt::format("b={}", b), x + kBar / 2,
                        kLossTop + kHeight + 24, whole_or_number(loss.weights[i], 2));
    ++column;
  }
  const int width = kLossLeft + static_cast<int>(column) * kBar + 4;
  return fmt::format("<svg class=\"loss\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" data-layer=\"loss\" "
                     "data-run=\"{}\" data-axes=\"{}\" data-shape=\"{}\"><text x=\"{}\" y=\"{}\" class=\"ax\" "
                     "text-anchor=\"end\">L</text><line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" class=\"base\"/>{}</svg>",
                     width, kLossTop + kHeight + 30, width, kLossTop + kHeight + 30, run, timed ? "b,t" : "b",
                     timed ? fmt::format("{},{}", loss.terms_shape[0], T) : fmt::format("{}", loss.terms_shape[0]),
                     kLossLeft - 4, kLossTop + 10, kLossLeft, kLossTop + kHeight, width, kLossTop + kHeight, body);
}

}  // namespace maskviz::html
