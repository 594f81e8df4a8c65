#include "core/tensor.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace maskviz {

std::string shape_text(const Shape& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

}  // namespace maskviz
