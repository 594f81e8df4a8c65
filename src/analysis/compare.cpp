#include "analysis/compare.h"

#include <cmath>

namespace maskviz {

bool same_value(float a, float b) { return a == b || (std::isnan(a) && std::isnan(b)); }

float gap_between(float a, float b) {
  return std::isnan(a) || std::isnan(b) ? std::numeric_limits<float>::quiet_NaN() : std::fabs(a - b);
}

bool wider_gap(float gap, float than) { return std::isnan(than) ? false : std::isnan(gap) || gap > than; }

Position position_of(const Shape& shape, std::size_t index) {
  Position p;
  const std::size_t F = shape.empty() ? 1 : shape.back();
  p.f = index % F;
  const std::size_t row = index / F;
  if (shape.size() >= 3) {
    p.t = row % shape[1];
    p.b = row / shape[1];
  } else {
    p.b = row;
  }
  return p;
}

namespace {

TensorDiff diff_where(const Tensor& a, const Tensor& b, const Selection& selection) {
  TensorDiff d;
  if (a.shape != b.shape) {
    d.differing = 1;
    d.max_abs = std::numeric_limits<float>::infinity();
    return d;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    const Position p = position_of(a.shape, i);
    if (selection.batch && p.b != *selection.batch) continue;
    if (selection.steps && p.t != kNoStep && (p.t < selection.steps->first || p.t > selection.steps->second)) continue;
    if (same_value(a.values[i], b.values[i])) continue;
    ++d.differing;
    const float gap = gap_between(a.values[i], b.values[i]);
    if (d.differing == 1 || wider_gap(gap, d.max_abs)) {
      d.max_abs = gap;
      d.max_index = i;
    }
  }
  return d;
}

}  // namespace

bool LayerComparison::identical() const {
  if (!output.identical()) return false;
  for (const auto& s : states)
    if (!s.identical()) return false;
  return true;
}

bool RunComparison::differs() const {
  for (const auto& layer : layers)
    if (layer.counted && !layer.identical()) return true;
  return loss_counted && !loss_identical;
}

RunComparison compare_runs(const Trace& trace, const Selection& selection) {
  RunComparison result;
  const std::size_t count = std::min(trace.masked.layers.size(), trace.unmasked.layers.size());
  for (std::size_t i = 0; i < count; ++i) {
    const LayerRecord& m = trace.masked.layers[i];
    const LayerRecord& u = trace.unmasked.layers[i];
    LayerComparison c;
    c.masked = &m;
    c.unmasked = &u;
    c.counted = !selection.layer || *selection.layer == m.name;
    c.output = diff_where(m.output, u.output, selection);
    for (std::size_t s = 0; s < m.states.size() && s < u.states.size(); ++s)
      c.states.push_back(diff_where(m.states[s].value, u.states[s].value, selection));
    if (m.output.rank() == 3 && m.output.shape == u.output.shape) {
      const std::size_t B = m.output.dim(0), T = m.output.dim(1), F = m.output.dim(2);
      c.first_step.assign(B, kNoStep);
      for (std::size_t b = 0; b < B; ++b)
        for (std::size_t t = 0; t < T && c.first_step[b] == kNoStep; ++t)
          for (std::size_t f = 0; f < F; ++f)
            if (!same_value(m.output.values[(b * T + t) * F + f], u.output.values[(b * T + t) * F + f])) {
              c.first_step[b] = t;
              break;
            }
    }
    if (c.counted && !c.identical() && !result.first_layer) result.first_layer = i;
    result.layers.push_back(std::move(c));
  }
  result.loss_counted = trace.masked.loss.has_value() && !selection.layer;
  if (trace.masked.loss && trace.unmasked.loss)
    result.loss_identical = same_value(trace.masked.loss->value, trace.unmasked.loss->value);
  return result;
}

}  // namespace maskviz
