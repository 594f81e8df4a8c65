// The page's sections, each in its own file: the model strip with the mask's path (html_strip.cpp),
// a recurrent layer's step timeline (html_timeline.cpp), a pooling layer's counted steps (html_reduction.cpp), the loss bars (html_loss.cpp), one layer's
// section (html_layer.cpp), and the page around them (html_page.cpp).
#pragma once

#include <string>

#include "analysis/compare.h"
#include "render/html_view.h"

namespace maskviz::html {

std::string model_strip(const Trace& trace, const RunComparison& whole);
std::string step_timeline(const LayerRecord& layer, const RecurrentSteps& steps, const View& view, const char* run);
std::string reduction_figure(const LayerRecord& masked, const Reductions& reductions, const LayerRecord& unmasked,
                             const View& view);
std::string loss_bars(const LossRecord& loss, const View& view, float top, const char* run);
std::string layer_section(const LayerComparison& layer, std::size_t index, std::size_t count, const View& view);

}  // namespace maskviz::html
