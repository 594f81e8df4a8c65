// Embedding(input_dim, output_dim, mask_zero): out[b, t] = embeddings[token[b, t]].
//
// mask_zero makes the mask `token != 0` (keras/src/layers/core/embedding.py, compute_mask). The values
// are untouched: token 0 still looks up row 0, a real and trainable vector.
#include <fmt/format.h>

#include "core/errors.h"
#include "layers/backward.h"
#include "layers/embedding.h"
#include "scenario/json_fields.h"

namespace maskviz {

EmbeddingLayer::EmbeddingLayer(LayerSite& site) : Layer("Embedding", site.name, site.input_shape) {
  auto& f = site.fields;
  input_dim_ = static_cast<std::size_t>(f.integer("input_dim", std::nullopt, 1, 16777216));
  output_dim_ = static_cast<std::size_t>(f.integer("output_dim", std::nullopt, 1, 1 << 20));
  mask_zero_ = f.boolean("mask_zero", false);
  if (site.index == 0 && !site.input_is_tokens)
    throw ScenarioError(site.fields.pointer_of("type"),
                        "an Embedding looks up integer token ids: give the input as \"input\": {\"tokens\": "
                        "[[...]]} (ids [batch, time]), not \"values\"");
  if (!site.input_is_tokens)
    reject_input(site, "integer token ids [batch, time] from input.tokens, so it must be the first layer");
  output_shape_ = {input_shape_[0], input_shape_[1], output_dim_};
}

Json EmbeddingLayer::config() const {
  return {{"input_dim", input_dim_}, {"output_dim", output_dim_}, {"mask_zero", mask_zero_}};
}

MaskAction EmbeddingLayer::mask_action(bool, RunMode mode) const {
  if (!mask_zero_) return MaskAction::none;
  return mode == RunMode::masked ? MaskAction::created : MaskAction::switched_off;
}

std::vector<WeightSpec> EmbeddingLayer::weight_specs() const {
  return {{"embeddings", {input_dim_, output_dim_}, Initializer::uniform(-0.05f, 0.05f)}};
}

std::size_t EmbeddingLayer::record_floats(Detail detail) const {
  return Layer::record_floats(detail) + (detail == Detail::outputs ? 0 : input_shape_[0] * input_shape_[1] * 4);
}

void EmbeddingLayer::forward(const ForwardArgs& args, ForwardResult& result, LayerRecord& record) const {
  const std::size_t B = input_shape_[0], T = input_shape_[1], F = output_dim_;
  const Tensor& table = weight("embeddings");  // [V, F]
  const Tensor& tokens = args.input;            // [B, T], integral values
  result.output = Tensor(output_shape_);        // [B, T, F]
  const bool makes_mask = mask_zero_ && args.mode == RunMode::masked;
  if (makes_mask) result.mask = Mask(B, T);
  Lookups& lookups = record.payload.emplace<Lookups>();
  for (std::size_t b = 0; b < B; ++b) {
    for (std::size_t t = 0; t < T; ++t) {
      const auto token = static_cast<std::size_t>(tokens.values[b * T + t]);
      std::copy_n(table.row(token), F, result.output.row(b * T + t));
      if (makes_mask) result.mask->set(b, t, token != 0);
      if (args.detail != Detail::outputs)
        lookups.lookups.push_back({b, t, static_cast<long long>(token), makes_mask && token == 0});
    }
  }
  if (mask_zero_)
    record.notes.push_back("token 0 still looks up row 0 of the embeddings: a real, trainable vector, not zeros. "
                           "mask_zero changes no value and no weight; it only attaches the mask token != 0.");
  if (mask_zero_ && !makes_mask)
    record.notes.push_back("unmasked run: mask_zero is switched off, so no mask leaves this layer.");
}

void EmbeddingLayer::backward(const BackwardArgs& args, BackwardResult& result) const {
  embedding_backward(args, weight("embeddings"), mask_zero_ && args.mode == RunMode::masked, result);
}

std::unique_ptr<Layer> make_embedding(LayerSite& site) { return std::make_unique<EmbeddingLayer>(site); }

}  // namespace maskviz
