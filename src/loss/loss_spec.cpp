#include "loss/loss_spec.h"

namespace maskviz {

const std::vector<std::string>& loss_names() {
  static const std::vector<std::string> names = {"mse", "mae", "binary_crossentropy", "categorical_crossentropy",
                                                 "sparse_categorical_crossentropy"};
  return names;
}

const char* loss_name(LossKind kind) { return loss_names().at(static_cast<std::size_t>(kind)).c_str(); }

}  // namespace maskviz
