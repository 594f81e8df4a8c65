#include "scenario/keras_arguments.h"

#include <fmt/format.h>

#include <utility>

#include "core/errors.h"

namespace maskviz {

namespace {

// Keras' argument name -> the weight it initializes.
constexpr std::pair<const char*, const char*> kInitializerArguments[] = {
    {"kernel_initializer", "kernel"},
    {"recurrent_initializer", "recurrent_kernel"},
    {"bias_initializer", "bias"},
    {"embeddings_initializer", "embeddings"},
};

void read_initializer(JsonFields& fields, Layer& layer, const char* key, const WeightSpec& spec) {
  const std::string name = fields.choice(key, std::nullopt, initializer_names());
  // The LSTM bias with unit_forget_bias is zeros with a block of ones; only the default zeros keeps that
  // meaning here.
  if (spec.init.kind == Initializer::Kind::lstm_bias && name != "zeros")
    throw ScenarioError(fields.pointer_of(key), fmt::format("\"{}\" with unit_forget_bias: maskviz draws this bias only "
                                                            "as Keras' default (zeros, forget gate ones); expected "
                                                            "\"zeros\", or give the bias in \"weights\"",
                                                            name));
  if (spec.init.kind != Initializer::Kind::lstm_bias) layer.set_initializer(spec.name, *initializer_by_name(name));
  layer.add_config_note(fmt::format("{}=\"{}\": used to draw {} when \"weights\" does not give it (from maskviz's own "
                                    "generator: Keras' distribution, not Keras' numbers).",
                                    key, name, spec.name));
}

}  // namespace

void read_keras_arguments(JsonFields& fields, Layer& layer) {
  if (layer.type() == "Embedding" && fields.raw("input_length") != nullptr)
    throw ScenarioError(fields.pointer_of("input_length"),
                        "input_length is a Keras 2 argument that Keras 3 removed (its Embedding refuses it as an "
                        "unrecognized keyword argument): the sequence length comes from the input; remove it");
  const auto specs = layer.weight_specs();
  for (const auto& [key, weight] : kInitializerArguments) {
    if (fields.raw(key) == nullptr) continue;
    for (const auto& spec : specs)
      if (spec.name == weight) read_initializer(fields, layer, key, spec);
  }
}

}  // namespace maskviz
