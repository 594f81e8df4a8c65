// The parts of a layer's text, one file per kind of record they draw (text_layer.cpp ties them
// together by visiting the payload): weights, recurrent steps, rows (Dense), lookups, reductions.
#pragma once

#include <vector>

#include "render/text_printer.h"

namespace maskviz {

// text_weights.cpp: every weight with its origin; an Embedding shows the rows its lookups read.
void print_weights(Printer& p, const LayerRecord& layer);

// text_steps.cpp: a recurrent layer's steps, in boxes at full detail, as a table at steps detail.
void print_recurrent_steps(Printer& p, const LayerRecord& layer, const RecurrentSteps& steps);
// Where a step's output came from when it was not computed ("<- carried over from t=0"), else empty.
Span output_trail(const Printer& p, const std::vector<StepRecord>& steps, std::size_t index);

// text_rows.cpp: the kinds recorded per row or per sequence.
void print_lookups(Printer& p, const LayerRecord& layer, const Lookups& lookups);
void print_rows(Printer& p, const LayerRecord& layer, const Rows& rows);
void print_reductions(Printer& p, const LayerRecord& layer, const Reductions& reductions, const Tensor* input);

// text_attention.cpp: an attention layer's mask construction, scores, softmax rows and the PyTorch
// equivalent; a merge layer's input masks and the mask it makes of them.
void print_attention(Printer& p, const LayerRecord& layer, const AttentionRecord& attention);
void print_merge_masks(Printer& p, const LayerRecord& layer, const Merge& merge);

}  // namespace maskviz
