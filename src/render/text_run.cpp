// PLACEHOLDER: replaced by the text renderer.
#include "render/render.h"
namespace maskviz {
void render_run(const Trace&, const TextOptions&, std::ostream& out) { out << "run: renderer pending\n"; }
}  // namespace maskviz
