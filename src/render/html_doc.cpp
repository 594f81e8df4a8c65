#include "render/html_doc.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "render/json_writer.h"

namespace maskviz::html {

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string exact(float value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  if (value == 0.0f) return std::signbit(value) ? "-0.0" : "0";
  char buffer[32];
  return std::string(buffer, write_shortest_float(buffer, value));
}

std::string short_number(float value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "∞" : "-∞";
  return fmt::format("{:.2f}", value);
}

namespace {

struct Rgb {
  float r, g, b;
};

// Viridis at nine evenly spaced points (matplotlib's table); luminance rises monotonically.
constexpr std::array<Rgb, 9> kViridis = {{{68, 1, 84}, {71, 44, 122}, {59, 81, 139}, {44, 113, 142}, {33, 144, 141},
                                          {39, 173, 129}, {92, 200, 99}, {170, 220, 50}, {253, 231, 37}}};

std::string hex(Rgb c) {
  auto byte = [](float v) { return static_cast<int>(std::lround(std::clamp(v, 0.0f, 255.0f))); };
  return fmt::format("#{:02x}{:02x}{:02x}", byte(c.r), byte(c.g), byte(c.b));
}

}  // namespace

std::string value_colour(float value, float lo, float hi) {
  if (!std::isfinite(value)) return "#999999";
  const float u = hi > lo ? std::clamp((value - lo) / (hi - lo), 0.0f, 1.0f) : 0.5f;
  const float at = u * static_cast<float>(kViridis.size() - 1);
  const std::size_t i = std::min<std::size_t>(static_cast<std::size_t>(at), kViridis.size() - 2);
  const float w = at - static_cast<float>(i);
  const Rgb a = kViridis[i], b = kViridis[i + 1];
  return hex({a.r + (b.r - a.r) * w, a.g + (b.g - a.g) * w, a.b + (b.b - a.b) * w});
}

std::string gap_colour(float gap, float max_gap) {
  if (gap == 0.0f || max_gap <= 0.0f) return "#ffffff";
  // Any difference at all is at least a light tint, so a tiny gap never looks identical.
  const float u = std::isfinite(gap) ? 0.15f + 0.85f * std::clamp(gap / max_gap, 0.0f, 1.0f) : 1.0f;
  // White to a dark red-brown: one hue, luminance falling, so it reads in grey.
  return hex({255 - u * (255 - 127), 255 - u * (255 - 39), 255 - u * (255 - 4)});
}

std::string signed_colour(float value, float max_abs) {
  if (std::isnan(value)) return "#999999";
  if (value == 0.0f || max_abs <= 0.0f) return "#ffffff";
  const float u = std::isfinite(value) ? 0.15f + 0.85f * std::clamp(std::fabs(value) / max_abs, 0.0f, 1.0f) : 1.0f;
  const Rgb end = value < 0 ? Rgb{8, 69, 148} : Rgb{140, 45, 4};
  return hex({255 - u * (255 - end.r), 255 - u * (255 - end.g), 255 - u * (255 - end.b)});
}

std::string shared_svg_defs() {
  return "<svg width=\"0\" height=\"0\" aria-hidden=\"true\" style=\"position:absolute\"><defs>"
         "<pattern id=\"masked-hatch\" patternUnits=\"userSpaceOnUse\" width=\"5\" height=\"5\" "
         "patternTransform=\"rotate(45)\"><rect width=\"5\" height=\"5\" fill=\"#ffffff\" fill-opacity=\"0.35\"/>"
         "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"5\" stroke=\"#000000\" stroke-width=\"1.6\"/></pattern>"
         "<marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" "
         "orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555555\"/></marker>"
         "<marker id=\"arrow-carried\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"6\" "
         "markerHeight=\"6\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#d55e00\"/></marker>"
         "</defs></svg>\n";
}

}  // namespace maskviz::html
