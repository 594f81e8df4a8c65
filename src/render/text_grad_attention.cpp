// The gradient an attention layer sends back to each tensor it read (query, value, key), with the mask
// each carried, and the answer the numbers give: do masked keys and values get exactly zero?
#include <fmt/format.h>

#include "render/text_format.h"
#include "render/text_grad.h"

namespace maskviz {

namespace {

// Masked positions of one input and how many of them receive exactly 0 (every feature ±0).
struct MaskedZeros {
  std::size_t masked = 0, zero = 0;
};

MaskedZeros masked_zeros(const InputGradient& in) {
  MaskedZeros c;
  if (!in.mask) return c;
  const std::size_t steps = in.gradient.dim(1), F = in.gradient.row_length();
  for (std::size_t r = 0; r < in.gradient.size() / F; ++r) {
    if (in.mask->at(r / steps, r % steps)) continue;
    ++c.masked;
    bool zero = true;
    for (std::size_t f = 0; f < F; ++f) zero &= in.gradient.row(r)[f] == 0.0f;
    c.zero += zero ? 1 : 0;
  }
  return c;
}

std::string role_text(const InputGradient& in) { return in.also_key ? in.role + " (also the key)" : in.role; }

}  // namespace

void print_grad_attention_inputs(Printer& p, const LayerGradient& layer) {
  for (const InputGradient& in : layer.inputs) {
    print_grad_rows(p, in.gradient, in.mask, fmt::format("dloss/d{}", role_text(in)));
    const MaskedZeros c = masked_zeros(in);
    if (c.masked > 0)
      p.note(fmt::format("{} of the {} masked {} positions receive exactly 0 from this layer", c.zero, c.masked,
                         in.role),
             2);
  }
}

std::string attention_answer(const LayerGradient& layer) {
  std::vector<std::string> parts;
  bool all_zero = true, any = false;
  for (const InputGradient& in : layer.inputs) {
    if (in.role == "query") continue;
    const MaskedZeros c = masked_zeros(in);
    if (c.masked == 0) continue;
    any = true;
    all_zero &= c.zero == c.masked;
    parts.push_back(fmt::format("{} of {} masked {} positions", c.zero, c.masked, role_text(in)));
  }
  if (!any) return "";
  const std::string counts = fmt::format("{} get exactly 0", fmt::join(parts, ", "));
  if (all_zero)
    return fmt::format("Masked keys and values of {} get exactly 0: {}. A masked key's score is replaced before the "
                       "softmax, so its weight is exactly 0 and its logit gets gradient 0; a masked query row is "
                       "masked in the loss too, so it sends nothing back.",
                       layer.name, counts);
  return fmt::format("Masked keys and values of {} do NOT all get 0 here: {}. A masked position still reaches the "
                     "loss: the loss counts a row that attends to it (a fully masked row's uniform weights, or a "
                     "loss whose mask was lost).",
                     layer.name, counts);
}

}  // namespace maskviz
