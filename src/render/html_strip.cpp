// The model as a strip of layers, left to right, and under it the mask's lane: a line wherever the
// masked run carries a mask from one layer to the next, marked where it is created (●), read (◆) and
// dropped (✕, with Keras' warning below). The words are mask_action_words, the text's own.
#include <fmt/format.h>

#include <algorithm>

#include "analysis/mask_story.h"
#include "analysis/mask_words.h"
#include "render/html_doc.h"
#include "render/html_parts.h"

namespace maskviz::html {

namespace {

constexpr int kMinBox = 172, kStripGap = 28, kBoxHeight = 64, kLane = 92;

const char* glyph(MaskAction action) {
  switch (action) {
    case MaskAction::created: return "●";
    case MaskAction::consumed:
    case MaskAction::consumed_passed_on: return "◆";
    case MaskAction::dropped: return "✕";
    case MaskAction::passed_on: return "→";
    case MaskAction::merged: return "⊕";
    case MaskAction::switched_off:
    case MaskAction::none: return "";
  }
  return "";
}

// Wide enough for the layer's name in bold 12px (about 8px a character) and the longest line under it.
int box_width(const std::string& name, const std::string& masked) {
  return std::max({kMinBox, 8 * static_cast<int>(name.size()) + 18, 6 * static_cast<int>(masked.size()) + 64});
}

std::string box(int x, int w, const std::string& name, const std::string& type, const std::string& masked,
                const std::string& unmasked, MaskAction action, const std::string& tip) {
  const bool warn = action == MaskAction::dropped;
  return fmt::format(
      "<g class=\"layer-box{}\" data-action=\"{}\"><title>{}</title><rect x=\"{}\" y=\"4\" width=\"{}\" height=\"{}\" "
      "rx=\"6\"/><text x=\"{}\" y=\"20\" class=\"nm\">{}</text><text x=\"{}\" y=\"34\" class=\"ty\">{}</text>"
      "<text x=\"{}\" y=\"49\" class=\"ma\"><tspan class=\"run-masked\">masked: {}</tspan></text>"
      "<text x=\"{}\" y=\"61\" class=\"ma\"><tspan class=\"run-unmasked\">unmasked: {}</tspan></text>"
      "<text x=\"{}\" y=\"{}\" class=\"glyph\" text-anchor=\"middle\">{}</text></g>",
      warn ? " warn" : "", mask_action_name(action), escape(tip), x, w, kBoxHeight, x + 8, escape(name), x + 8,
      escape(type), x + 8, escape(masked), x + 8, escape(unmasked), x + w / 2, kLane + 5, glyph(action));
}

}  // namespace

std::string model_strip(const Trace& trace, const RunComparison& whole) {
  const auto& layers = trace.masked.layers;
  std::string body, notes;
  int x = 4, w = 0;
  for (std::size_t i = 0; i < layers.size(); ++i, x += w + kStripGap) {
    const LayerRecord& m = layers[i];
    const MaskAction u = i < trace.unmasked.layers.size() ? trace.unmasked.layers[i].mask_action : MaskAction::none;
    const int next = i + 1 < layers.size() ? box_width(layers[i + 1].name, mask_action_short(layers[i + 1]))
                                           : box_width("loss", trace.masked.loss ? loss_mask_short(*trace.masked.loss) : "");
    w = box_width(m.name, mask_action_short(m));
    body += box(x, w, m.name, m.type, mask_action_short(m), mask_action_short(u), m.mask_action,
                mask_action_words(m));
    if (i + 1 < layers.size() || trace.masked.loss)
      body += fmt::format("<line x1=\"{}\" y1=\"36\" x2=\"{}\" y2=\"36\" class=\"flow\" marker-end=\"url(#arrow)\"/>",
                          x + w, x + w + kStripGap - 2);
    // The lane: the mask leaves this layer when its masked-run output carries one.
    if (m.output_mask && (i + 1 < layers.size() || (trace.masked.loss && trace.masked.loss->mask)))
      body += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" class=\"lane\"/>", x + w / 2 + 8, kLane,
                          x + w + kStripGap + next / 2 - 8, kLane);
    notes += fmt::format("<li><b>{}</b> ({}): {}</li>", escape(m.name), escape(m.type), escape(mask_action_words(m)));
    for (const auto& warning : m.warnings)
      notes += fmt::format("<li class=\"warn\">Keras warns: {}</li>", escape(warning));
  }
  if (const auto& loss = trace.masked.loss) {
    const std::string use = loss_mask_short(*loss);
    w = box_width("loss", use);
    body += box(x, w, "loss", loss->name, use, trace.unmasked.loss ? loss_mask_short(*trace.unmasked.loss) : "",
                loss->mask ? MaskAction::consumed : MaskAction::none, use);
    x += w + kStripGap;
  }
  const int width = x;
  return fmt::format("<figure class=\"strip\"><figcaption>The mask's path: where it is created (●), passed on (→), "
                     "read (◆) and dropped (✕)</figcaption><div class=\"scroll\"><svg width=\"{}\" height=\"{}\" "
                     "viewBox=\"0 0 {} {}\">{}</svg></div><ul class=\"actions\">{}</ul><p class=\"story\">{}</p></figure>",
                     width, kLane + 12, width, kLane + 12, body, notes, escape(mask_story(trace, whole)));
}

}  // namespace maskviz::html
