// How to draw something new on the page:
//   a new payload kind (attention): html_layer.cpp's kind_figures() stops compiling until it has a case;
//     give it a figure function here, in its own html_<kind>.cpp, drawing cells through html_panel.h so
//     that hover, data-v and hatching come for free (the browser check then covers it);
//   the gradients: html_grad.cpp's section after the loss, from the gradient record, masked steps hatched
//     via Panel::hatched like the outputs, each svg's data-fig telling the browser check what it draws.
//
// The page's sections, each in its own file: the model strip with the mask's path (html_strip.cpp),
// a recurrent layer's step timeline (html_timeline.cpp), a pooling layer's counted steps (html_reduction.cpp), the loss bars (html_loss.cpp), one layer's
// section (html_layer.cpp), the gradients (html_grad.cpp), and the page around them (html_page.cpp).
#pragma once

#include <string>

#include "analysis/compare.h"
#include "render/html_view.h"

namespace maskviz::html {

std::string model_strip(const Trace& trace, const RunComparison& whole);
std::string step_timeline(const LayerRecord& layer, const RecurrentSteps& steps, const View& view, const char* run);
// An attention layer's weights per head, masked cells hatched (html_attention.cpp).
std::string attention_figure(const AttentionRecord& masked, const LayerRecord& unmasked, const View& view);
std::string reduction_figure(const LayerRecord& masked, const Reductions& reductions, const LayerRecord& unmasked,
                             const View& view);
std::string loss_bars(const LossRecord& loss, const View& view, float top, const char* run);
// The gradients of both runs, from the loss back to the input (html_grad.cpp); `missing`: why there are
// none (one line on the page), when the trace has no gradient record.
std::string gradient_section(const Trace& trace, const View& view, const std::string& missing);
std::string layer_section(const LayerComparison& layer, std::size_t index, std::size_t count, const View& view);

}  // namespace maskviz::html
