// PLACEHOLDER: replaced by the diff renderer.
#include "render/render.h"
namespace maskviz {
bool render_diff(const Trace&, const TextOptions&, std::ostream& out) { out << "diff: renderer pending\n"; return false; }
}  // namespace maskviz
