// The text of an attention layer (MultiHeadAttention, Attention) and of a merge (Add, Concatenate),
// read from the record alone. Letters: B batch, N heads, T query steps, S key steps.
//
// For each shown sequence: the mask's construction as boolean grids (query, value, key, causal,
// explicit, their AND: one mask for every head), the same mask as PyTorch takes it (True = ignore),
// then (detail full, MultiHeadAttention) the rows the projections read and per head Q, K and V with their
// products, then per head the scaled scores with the masked cells replaced by the path's constant, and the
// softmax rows; last the fully masked rows, what they became and whether the loss sees them.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <functional>

#include "render/text_format.h"
#include "render/text_layer_parts.h"

namespace maskviz {

namespace {

// Beyond this many cells per head a map is summarised, as large recurrent layers are.
constexpr std::size_t kMaxCellsShown = 12 * 12;

std::string path_words(const AttentionRecord& a) {
  switch (a.path) {
    case AttentionRecord::Path::fused:
      return "fused path (ops.dot_product_attention, backend/tensorflow/nn.py): L = (q·k)/√key_dim; masked logits "
             "replaced by -0.7·3.38953e38 = -2.3726709e38; softmax; no zeroing";
    case AttentionRecord::Path::explicit_softmax:
      return "explicit path (return_attention_scores or dropout > 0; Keras' Softmax layer): L = (q/√key_dim)·k; "
             "masked logits replaced by -1e9; softmax; masked weights then set to 0";
    case AttentionRecord::Path::subtractive:
      return "Attention layer: L = q·k (times scale with use_scale; no 1/√d); 1e9 subtracted from masked scores; "
             "softmax; masked query rows of the output set to 0";
  }
  return "";
}

bool combined_at(const AttentionRecord& a, std::size_t b, std::size_t t, std::size_t s) {
  return !a.combined_mask || (*a.combined_mask)[(b * a.query_steps + t) * a.key_steps + s] != 0;
}

std::string cells(const Printer& p, std::size_t n, const std::function<bool(std::size_t)>& keep) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += (i ? " " : "") + p.style().painted_mask_cell(keep(i));
  return out;
}

// PyTorch's convention: True = ignore, the inverse of Keras'.
std::string torch_cells(std::size_t n, const std::function<bool(std::size_t)>& keep) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += (i ? " " : "") + std::string(keep(i) ? "F" : "T");
  return out;
}

void print_construction(Printer& p, const AttentionRecord& a, std::size_t b) {
  const std::size_t T = a.query_steps, S = a.key_steps;
  p.paragraph(fmt::format("b={} mask construction ({} may attend; rows t = query steps, columns s = key steps)", b,
                          p.style().mask_cell(true)), "  ");
  if (a.query_mask) p.line("    query_mask  " + cells(p, T, [&](std::size_t t) { return a.query_mask->at(b, t); }));
  if (a.value_mask) p.line("    value_mask  " + cells(p, S, [&](std::size_t s) { return a.value_mask->at(b, s); }));
  if (a.key_mask) p.line("    key_mask    " + cells(p, S, [&](std::size_t s) { return a.key_mask->at(b, s); }));
  if (!a.combined_mask) {
    p.line("    no mask source: every query attends to every key");
    return;
  }
  if (a.causal) {
    p.line("    causal [T, S] (s <= t)");
    for (std::size_t t = 0; t < T; ++t)
      p.line(fmt::format("      t={:<3} {}", t, cells(p, S, [&](std::size_t s) { return s <= t; })));
  }
  if (a.explicit_mask) {
    p.line("    attention_mask [T, S]");
    for (std::size_t t = 0; t < T; ++t)
      p.line(fmt::format("      t={:<3} {}", t, cells(p, S, [&](std::size_t s) {
                           return (*a.explicit_mask)[(b * T + t) * S + s] != 0;
                         })));
  }
  p.paragraph(fmt::format("combined = {} [T, S], the same for every head", fmt::join(a.combined_from, " and ")),
              "    ");
  for (std::size_t t = 0; t < T; ++t)
    p.line(fmt::format("      t={:<3} {}", t, cells(p, S, [&](std::size_t s) { return combined_at(a, b, t, s); })));
}

void print_pytorch(Printer& p, const AttentionRecord& a, std::size_t b) {
  const std::size_t T = a.query_steps, S = a.key_steps;
  p.paragraph("PyTorch nn.MultiheadAttention takes the inverse (True = ignore):", "    ");
  if (a.value_mask)
    p.line("      key_padding_mask = ~value_mask   " + torch_cells(S, [&](std::size_t s) { return a.value_mask->at(b, s); }));
  if (!a.combined_mask) return;
  p.paragraph(fmt::format("attn_mask = ~combined [T, S] (3-D masks repeated per head: [B·{}, T, S])", a.heads),
              "      ");
  for (std::size_t t = 0; t < T; ++t)
    p.line(fmt::format("        t={:<3} {}", t, torch_cells(S, [&](std::size_t s) { return combined_at(a, b, t, s); })));
  if (a.query_mask)
    p.paragraph("PyTorch has no query mask: its padded query rows attend to the valid keys as usual", "      ");
}

std::string masked_cell(const AttentionRecord& a) {
  switch (a.path) {
    case AttentionRecord::Path::fused: return "-2.4e38";
    case AttentionRecord::Path::explicit_softmax: return "-1e9";
    case AttentionRecord::Path::subtractive: return "L-1e9";
  }
  return "";
}

// O[b, t, n, :] = Σ_s P[b, n, t, s] · V[b, s, n, :], before the output projection (MultiHeadAttention).
void print_weighted_sum(Printer& p, const AttentionRecord& a, std::size_t b, std::size_t n) {
  if (a.context.rank() != 4) return;
  const std::size_t T = a.query_steps, N = a.heads, Hv = a.context.dim(3);
  p.line("      weighted sum of values O = P · V (then the output projection)");
  for (std::size_t t = 0; t < T; ++t) {
    if (!p.shows_step(t)) continue;
    p.line(fmt::format("      t={:<3} {}", t,
                       vector_text(a.context.data() + ((b * T + t) * N + n) * Hv, Hv, p.precision())));
  }
}

// Detail full, MultiHeadAttention: the rows each projection reads, once per sequence ([steps, D]).
void print_operands(Printer& p, const AttentionRecord& a, std::size_t b) {
  std::vector<std::string> shown;
  for (const auto& pr : a.projections) {
    if (std::find(shown.begin(), shown.end(), pr.input) != shown.end()) continue;
    shown.push_back(pr.input);
    const std::size_t steps = pr.operand.dim(1), D = pr.operand.dim(2);
    const char* step = pr.input == "query" ? "t" : "s";  // query steps t, key steps s
    p.line(fmt::format("    {} [{}, {}], what the projections read", pr.input, steps, D));
    for (std::size_t t = 0; t < steps; ++t) {
      if (!p.shows_step(t)) continue;
      p.line(fmt::format("      {}={:<3} {}", step, t, vector_text(pr.operand.data() + (b * steps + t) * D, D, p.precision())));
    }
  }
}

// Detail full: head n's Q, K and V, row by row: operand · kernel[:, n, :] + bias[n] = result.
void print_projections(Printer& p, const LayerRecord& layer, const AttentionRecord& a, std::size_t b, std::size_t n) {
  const int prec = p.precision();
  for (const auto& pr : a.projections) {
    const std::size_t steps = pr.result.dim(1), N = pr.result.dim(2), H = pr.result.dim(3);
    const Tensor* bias = nullptr;
    for (const auto& w : layer.weights)
      if (!pr.bias.empty() && w.name == pr.bias) bias = &w.value;
    p.line(p.style().text(fmt::format("      {} = {} · {}[:, {}, :]{}   [{}, {}]", pr.symbol, pr.input, pr.kernel, n,
                                      bias ? fmt::format(" + {}[{}]", pr.bias, n) : "", steps, H)));
    const char* step = pr.input == "query" ? "t" : "s";
    for (std::size_t t = 0; t < steps; ++t) {
      if (!p.shows_step(t)) continue;
      const std::size_t at = ((b * steps + t) * N + n) * H;
      p.line(fmt::format("        {}={:<3} {}{} = {}", step, t, vector_text(pr.product.data() + at, H, prec),
                         bias ? " + " + vector_text(bias->data() + n * H, H, prec) : "",
                         vector_text(pr.result.data() + at, H, prec)));
    }
  }
}

void print_head(Printer& p, const LayerRecord& layer, const AttentionRecord& a, std::size_t b, std::size_t n) {
  const std::size_t T = a.query_steps, S = a.key_steps;
  const int prec = p.precision();
  if (a.heads > 1) p.line(fmt::format("    head {}", n));
  print_projections(p, layer, a, b, n);
  Grid grid(2 * S);
  for (std::size_t s = 0; s < S; ++s) {
    grid.set_header(s, fmt::format("s={}", s));
    grid.set_header(S + s, fmt::format("s={}", s));
  }
  grid.set_groups({{fmt::format("scaled scores L (masked: {})", masked_cell(a)), 0, S}, {"softmax P", S, S}});
  for (std::size_t t = 0; t < T; ++t) {
    if (!p.shows_step(t)) continue;
    std::vector<Cell> row;
    const std::size_t base = ((b * a.heads + n) * T + t) * S;
    for (std::size_t s = 0; s < S; ++s)
      row.push_back(combined_at(a, b, t, s) ? Cell{number(a.scores.values[base + s], prec), Tone::plain}
                                            : Cell{masked_cell(a), Tone::masked});
    for (std::size_t s = 0; s < S; ++s)
      row.push_back({number(a.weights.values[base + s], prec), combined_at(a, b, t, s) ? Tone::plain : Tone::dim});
    grid.add_row({{fmt::format("t={}", t), Tone::dim}}, std::move(row));
  }
  p.grid(grid, 4);
  print_weighted_sum(p, a, b, n);
}

void print_fully_masked(Printer& p, const LayerRecord& layer, const AttentionRecord& a) {
  if (a.fully_masked_rows.empty()) return;
  std::vector<std::string> rows;
  for (const auto& [b, t] : a.fully_masked_rows) rows.push_back(fmt::format("(b={}, t={})", b, t));
  const std::string became = a.path == AttentionRecord::Path::explicit_softmax
                                 ? "weights 0 (set after the softmax), so the output there is the output bias"
                                 : fmt::format("uniform weights 1/{} over every key, padding included",
                                               a.key_steps);
  p.paragraph(fmt::format("fully masked rows {}: no key may be attended; they became {}.", fmt::join(rows, " "),
                          became), "  ");
  std::size_t skipped = 0;
  for (const auto& [b, t] : a.fully_masked_rows)
    if (layer.output_mask && !layer.output_mask->at(b, t)) ++skipped;
  p.paragraph(skipped == a.fully_masked_rows.size()
                  ? "The output mask (the query's) marks every one of them as padding: a masked loss gives them "
                    "weight 0 and a masked layer after this one skips them, whatever they hold."
                  : fmt::format("{} of them are valid in the output mask: the loss counts what they became.",
                                a.fully_masked_rows.size() - skipped),
              "  ");
}

}  // namespace

void print_attention(Printer& p, const LayerRecord& layer, const AttentionRecord& a) {
  p.paragraph(path_words(a), "  path    ");
  std::vector<std::string> read;
  for (std::size_t i = 0; i < layer.inputs.size(); ++i)
    read.push_back(layer.input_roles[i].empty() ? layer.inputs[i]
                                                : fmt::format("{} ← {}", layer.input_roles[i], layer.inputs[i]));
  p.paragraph(fmt::format("{}", fmt::join(read, ", ")), "  reads   ");
  const bool large = a.query_steps * a.key_steps > kMaxCellsShown;
  const bool maps = !a.weights.values.empty();  // Detail::outputs keeps none (multi_head_attention.cpp)
  for (std::size_t b = 0; b < a.batch; ++b) {
    if (!p.shows_batch(b)) continue;
    p.line();
    if (large) {
      p.paragraph(fmt::format("b={} attention maps of {}×{} per head: summarised ({})", b, a.query_steps,
                              a.key_steps, maps ? "the export holds every cell"
                                                : "recorded at --detail steps or full; this run is at detail outputs"),
                  "  ");
      continue;
    }
    print_construction(p, a, b);
    print_pytorch(p, a, b);
    if (layer.detail == Detail::outputs) continue;
    print_operands(p, a, b);
    for (std::size_t n = 0; n < a.heads; ++n) print_head(p, layer, a, b, n);
  }
  if (!maps && !large)
    p.paragraph("per head, the scores and weights are recorded at --detail steps or full; this run is at detail "
                "outputs", "  ");
  p.line();
  print_fully_masked(p, layer, a);
  if (a.clears_input_masks && !layer.input_masks.empty())
    p.paragraph("the output mask is the query's; the masks of the tensors it read are now None: a later layer "
                "reading them sees no mask (multi_head_attention.py l.628-631)", "  mask    ");
}

void print_merge_masks(Printer& p, const LayerRecord& layer, const Merge& merge) {
  p.paragraph(fmt::format("{} (reads {})", merge.rule, fmt::join(layer.inputs, ", ")), "  merge   ");
  for (std::size_t i = 0; i < layer.input_masks.size(); ++i) {
    const OptMask& m = layer.input_masks[i];
    if (!m) {
      p.line(fmt::format("  input {} ({}): no mask", i, layer.inputs[i]));
      continue;
    }
    p.line(fmt::format("  input {} ({}):", i, layer.inputs[i]));
    p.mask_rows(*m, 4);
  }
  if (layer.output_mask) {
    p.line("  output mask:");
    p.mask_rows(*layer.output_mask, 4);
  } else {
    p.line("  output mask: none");
  }
}

}  // namespace maskviz
