// Keras arguments that a config pasted from model.get_config() carries and that do not change what
// inference computes: accepted and named in a note on the layer rather than refused as unknown fields.
//   kernel_initializer, recurrent_initializer, bias_initializer, embeddings_initializer
//       Keras' names (glorot_uniform, he_normal, random_uniform, ...): used to draw that weight when the
//       scenario does not give it
// dropout and recurrent_dropout are read with the recurrent config (layers/rnn.cpp), Dropout's rate by
// Dropout. A Keras 2 argument that Keras 3 removed (Embedding's input_length) is an error that says so.
#pragma once

#include "layers/layer.h"
#include "scenario/json_fields.h"

namespace maskviz {

void read_keras_arguments(JsonFields& fields, Layer& layer);

}  // namespace maskviz
