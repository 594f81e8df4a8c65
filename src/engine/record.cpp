#include "engine/record.h"

namespace maskviz {

const char* mode_name(RunMode mode) { return mode == RunMode::masked ? "masked" : "unmasked"; }

const char* detail_name(Detail detail) {
  switch (detail) {
    case Detail::outputs: return "outputs";
    case Detail::steps: return "steps";
    case Detail::full: return "full";
  }
  return "?";
}

const char* mask_action_name(MaskAction action) {
  switch (action) {
    case MaskAction::none: return "none";
    case MaskAction::created: return "created";
    case MaskAction::passed_on: return "passed_on";
    case MaskAction::consumed: return "consumed";
    case MaskAction::consumed_passed_on: return "consumed_passed_on";
    case MaskAction::dropped: return "dropped";
    case MaskAction::switched_off: return "switched_off";
    case MaskAction::merged: return "merged";
  }
  return "?";
}

const char* output_source_name(OutputSource source) {
  switch (source) {
    case OutputSource::computed: return "computed";
    case OutputSource::previous_output: return "previous_output";
    case OutputSource::zeros: return "zeros";
  }
  return "?";
}

}  // namespace maskviz
