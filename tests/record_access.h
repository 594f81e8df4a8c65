// The payload's lists for tests that check numbers, whatever kind the layer is: empty when the
// layer's record is of another kind.
#pragma once

#include <vector>

#include "engine/record.h"

namespace maskviz {

inline const std::vector<StepRecord>& steps_of(const LayerRecord& layer) {
  static const std::vector<StepRecord> none;
  if (const auto* r = layer.as<RecurrentSteps>()) return r->steps;
  if (const auto* r = layer.as<Rows>()) return r->rows;
  return none;
}
inline const std::vector<LookupRecord>& lookups_of(const LayerRecord& layer) {
  static const std::vector<LookupRecord> none;
  const auto* l = layer.as<Lookups>();
  return l != nullptr ? l->lookups : none;
}
inline const std::vector<ReductionRecord>& reductions_of(const LayerRecord& layer) {
  static const std::vector<ReductionRecord> none;
  const auto* r = layer.as<Reductions>();
  return r != nullptr ? r->reductions : none;
}
inline const std::vector<LayerRecord>& halves_of(const LayerRecord& layer) {
  static const std::vector<LayerRecord> none;
  const auto* h = layer.as<Halves>();
  return h != nullptr ? h->halves : none;
}

}  // namespace maskviz
