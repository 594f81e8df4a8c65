// Which Keras loss a scenario asks for: all that the scenario and the loss need to share.
#pragma once

#include <string>
#include <vector>

namespace maskviz {

enum class LossKind { mse, mae, binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy };
const std::vector<std::string>& loss_names();
const char* loss_name(LossKind kind);

struct LossSpec {
  LossKind kind = LossKind::mse;
  bool from_logits = false;
};

}  // namespace maskviz
