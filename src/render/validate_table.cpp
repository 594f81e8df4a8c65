// PLACEHOLDER: replaced by the validate table.
#include "render/render.h"
namespace maskviz {
void render_validate(const Scenario&, Detail, const TextOptions&, std::ostream& out) { out << "valid\n"; }
}  // namespace maskviz
