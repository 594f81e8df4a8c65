// The text of an attention layer (MultiHeadAttention, Attention) and of a merge (Add, Concatenate),
// read from the record alone. Letters: B batch, N heads, T query steps, S key steps.
#include <fmt/format.h>

#include "render/text_format.h"
#include "render/text_layer_parts.h"

namespace maskviz {

void print_attention(Printer& p, const LayerRecord& layer, const AttentionRecord& a) {
  (void)layer;
  (void)a;
  p.line("  attention");
}

void print_merge_masks(Printer& p, const LayerRecord& layer, const Merge& merge) {
  (void)layer;
  (void)merge;
  p.line("  merge");
}

}  // namespace maskviz
