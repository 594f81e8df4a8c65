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

// The mask that says which of a layer's output steps are padding, when it lines up with the output.
const Mask* step_mask(const LayerRecord& m) {
  const OptMask& mask = m.output_mask ? m.output_mask : m.input_mask;
  if (!mask || m.output.rank() != 3 || mask->batch != m.output.dim(0) || mask->time != m.output.dim(1)) return nullptr;
  return &*mask;
}

void split_by_mask(LayerComparison& c, const Selection& selection) {
  const Tensor& a = c.masked->output;
  const Tensor& u = c.unmasked->output;
  if (a.shape != u.shape) {
    c.at_valid = c.output;
    return;
  }
  const Mask* mask = step_mask(*c.masked);
  c.split = mask != nullptr;
  if (a.rank() == 3) c.first_valid_step.assign(a.dim(0), kNoStep);
  for (std::size_t i = 0; i < a.size(); ++i) {
    const Position p = position_of(a.shape, i);
    if (selection.batch && p.b != *selection.batch) continue;
    if (selection.steps && p.t != kNoStep && (p.t < selection.steps->first || p.t > selection.steps->second)) continue;
    if (same_value(a.values[i], u.values[i])) continue;
    const bool valid = mask == nullptr || mask->at(p.b, p.t);
    TensorDiff& d = valid ? c.at_valid : c.at_masked;
    ++d.differing;
    const float gap = gap_between(a.values[i], u.values[i]);
    if (d.differing == 1 || wider_gap(gap, d.max_abs)) {
      d.max_abs = gap;
      d.max_index = i;
    }
    if (valid && p.t != kNoStep && p.t < c.first_valid_step[p.b]) c.first_valid_step[p.b] = p.t;
  }
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
    split_by_mask(c, selection);
    if (c.counted && !c.identical() && !result.first_layer) result.first_layer = i;
    if (c.counted && !c.at_valid.identical() && !result.first_valid_layer) result.first_valid_layer = i;
    result.layers.push_back(std::move(c));
  }
  if (!result.layers.empty() && result.layers.size() == trace.masked.layers.size())
    result.output_valid_differs = !result.layers.back().at_valid.identical();
  result.loss_counted = trace.masked.loss.has_value() && !selection.layer;
  if (trace.masked.loss && trace.unmasked.loss) {
    const LossRecord& m = *trace.masked.loss;
    const LossRecord& u = *trace.unmasked.loss;
    result.loss_identical = same_value(m.value, u.value);
    result.loss_terms = m.terms.size();
    for (std::size_t i = 0; i < m.terms.size() && i < u.terms.size(); ++i) {
      if (m.weights[i] == 0.0f) continue;
      ++result.loss_counted_terms;
      result.loss_counted_terms_differ += !same_value(m.terms[i], u.terms[i]);
    }
  }
  return result;
}

}  // namespace maskviz
