// The one table that maps a Keras class name to the file that implements it.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <utility>

#include "core/errors.h"
#include "layers/layer.h"
#include "scenario/json_fields.h"

namespace maskviz {

std::unique_ptr<Layer> make_embedding(LayerSite&);
std::unique_ptr<Layer> make_masking(LayerSite&);
std::unique_ptr<Layer> make_dense(LayerSite&);
std::unique_ptr<Layer> make_simple_rnn(LayerSite&);
std::unique_ptr<Layer> make_lstm(LayerSite&);
std::unique_ptr<Layer> make_gru(LayerSite&);
std::unique_ptr<Layer> make_bidirectional(LayerSite&);
std::unique_ptr<Layer> make_flatten(LayerSite&);
std::unique_ptr<Layer> make_global_average_pooling1d(LayerSite&);
std::unique_ptr<Layer> make_global_max_pooling1d(LayerSite&);
std::unique_ptr<Layer> make_dropout(LayerSite&);
std::unique_ptr<Layer> make_activation(LayerSite&);
std::unique_ptr<Layer> make_multi_head_attention(LayerSite&);
std::unique_ptr<Layer> make_attention(LayerSite&);
std::unique_ptr<Layer> make_layer_normalization(LayerSite&);
std::unique_ptr<Layer> make_add(LayerSite&);
std::unique_ptr<Layer> make_concatenate(LayerSite&);
std::unique_ptr<Layer> make_softmax(LayerSite&);

namespace {

using Registry = std::vector<std::pair<std::string, LayerFactory>>;

Registry& registry() {
  static Registry table = {
      {"Embedding", make_embedding},
      {"Masking", make_masking},
      {"Dense", make_dense},
      {"SimpleRNN", make_simple_rnn},
      {"LSTM", make_lstm},
      {"GRU", make_gru},
      {"Bidirectional", make_bidirectional},
      {"Flatten", make_flatten},
      {"GlobalAveragePooling1D", make_global_average_pooling1d},
      {"GlobalMaxPooling1D", make_global_max_pooling1d},
      {"Dropout", make_dropout},
      {"Activation", make_activation},
      {"MultiHeadAttention", make_multi_head_attention},
      {"Attention", make_attention},
      {"LayerNormalization", make_layer_normalization},
      {"Add", make_add},
      {"Concatenate", make_concatenate},
      {"Softmax", make_softmax},
  };
  return table;
}

std::vector<std::string>& type_names() {
  static std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& [name, factory] : registry()) out.push_back(name);
    return out;
  }();
  return names;
}

}  // namespace

const std::vector<std::string>& known_layer_types() { return type_names(); }

void register_layer(std::string type, LayerFactory factory) {
  for (auto& [name, existing] : registry())
    if (name == type) {
      existing = factory;
      return;
    }
  type_names().push_back(type);
  registry().emplace_back(std::move(type), factory);
}

std::unique_ptr<Layer> make_layer(LayerSite& site) {
  const std::string type = site.fields.choice("type", std::nullopt, known_layer_types());
  for (const auto& [name, factory] : registry())
    if (name == type) return factory(site);
  throw std::logic_error("unreachable: type checked above");
}

}  // namespace maskviz
