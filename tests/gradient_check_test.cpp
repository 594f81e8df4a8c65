// The backward pass against finite differences of a plain double-precision forward pass
// (tests/reference/naive_model.h): every weight element and every layer-output element, both runs, for
// models that between them use every layer type, every activation, every merge mode, every loss (with and
// without from_logits and Keras' _keras_logits shortcut), go_backwards, zero_output_for_mask, both GRU
// variants and return_sequences both ways; and graphs: residual branches, several model inputs, both
// MultiHeadAttention softmax paths, Attention's score modes, Add, Concatenate, LayerNormalization, Softmax.
//   reference  ∂loss/∂θ ≈ (loss(θ + h) - loss(θ - h)) / 2h,  h = 1e-6, in double
//   accepted   |got - reference| <= 2e-5 + 1e-3 · |reference|   (got is float32)
#include <gtest/gtest.h>

#include <cmath>

#include "grad/backward.h"
#include "reference/naive_model.h"
#include "scenario/scenario.h"

namespace maskviz {
namespace {

struct Case {
  const char* name;
  const char* json;
};

const Case kCases[] = {
    {"lstm_softmax_sparse", R"({"seed": 11, "input": {"tokens": [[1, 0, 2, 0], [3, 1, 0, 0]]},
      "layers": [{"type": "Embedding", "input_dim": 5, "output_dim": 3, "mask_zero": true},
                 {"type": "LSTM", "units": 3, "return_sequences": true},
                 {"type": "Dense", "units": 3, "activation": "softmax"}],
      "target": [[0, 1, 2, 0], [1, 2, 0, 0]], "loss": "sparse_categorical_crossentropy"})"},
    {"gru_reset_before_backwards_bce", R"({"seed": 12,
      "input": {"values": [[[0.5, -1], [0, 0], [1, 0.3], [0, 0]], [[0, 0], [0.2, 0.4], [-0.7, 1], [0.1, 0]]]},
      "layers": [{"type": "Masking"}, {"type": "GRU", "units": 3, "reset_after": false, "go_backwards": true},
                 {"type": "Dense", "units": 1, "activation": "sigmoid"}],
      "target": [[1], [0]], "loss": "binary_crossentropy"})"},
    {"simple_rnn_zero_output_average", R"({"seed": 13, "input": {"tokens": [[2, 1, 0, 0], [0, 3, 1, 2]]},
      "layers": [{"type": "Embedding", "input_dim": 4, "output_dim": 3, "mask_zero": true},
                 {"type": "SimpleRNN", "units": 3, "return_sequences": true, "zero_output_for_mask": true},
                 {"type": "Activation", "activation": "elu"}, {"type": "GlobalAveragePooling1D"},
                 {"type": "Dense", "units": 2}],
      "target": [[0.5, -0.5], [1, 0]], "loss": "mse"})"},
    {"bidirectional_mul_gelu_mae", R"({"seed": 14, "input": {"tokens": [[1, 2, 0], [3, 0, 0]]},
      "layers": [{"type": "Embedding", "input_dim": 4, "output_dim": 2, "mask_zero": true},
                 {"type": "Bidirectional", "merge_mode": "mul", "layer": {"type": "LSTM", "units": 2, "return_sequences": true}},
                 {"type": "Dense", "units": 3, "activation": "gelu"}, {"type": "Dropout", "rate": 0.5},
                 {"type": "Dense", "units": 1}],
      "target": [[[1], [-1], [0.5]], [[0.3], [2], [1]]], "loss": "mae"})"},
    {"bidirectional_sum_gru_cce", R"({"seed": 15, "input": {"tokens": [[1, 2, 0], [3, 1, 2]]},
      "layers": [{"type": "Embedding", "input_dim": 4, "output_dim": 2, "mask_zero": true},
                 {"type": "Bidirectional", "merge_mode": "sum", "layer": {"type": "GRU", "units": 2}},
                 {"type": "Dense", "units": 3, "activation": "softmax"}],
      "target": [[0, 1, 0], [0.2, 0.3, 0.5]], "loss": "categorical_crossentropy"})"},
    {"bidirectional_ave_swish_flatten_logits", R"({"seed": 16, "input": {"tokens": [[1, 2, 0], [3, 1, 2]]},
      "layers": [{"type": "Embedding", "input_dim": 4, "output_dim": 2, "mask_zero": true},
                 {"type": "Bidirectional", "merge_mode": "ave", "layer": {"type": "SimpleRNN", "units": 2, "return_sequences": true}},
                 {"type": "Dense", "units": 2, "activation": "swish"}, {"type": "Flatten"}, {"type": "Dense", "units": 2}],
      "target": [[0.3, 0.7], [1, 0]], "loss": {"name": "categorical_crossentropy", "from_logits": true}})"},
    {"bidirectional_concat_max_pooling_hard_sigmoid", R"({"seed": 17,
      "input": {"values": [[[0.5, -1], [0.3, 0.2], [0, 0]], [[0.9, 0.1], [0, 0], [0, 0]]]},
      "layers": [{"type": "Masking"},
                 {"type": "Bidirectional", "layer": {"type": "GRU", "units": 2, "return_sequences": true}},
                 {"type": "GlobalMaxPooling1D"}, {"type": "Dense", "units": 2, "activation": "hard_sigmoid"}],
      "target": [[1, 0], [0, 1]], "loss": "binary_crossentropy"})"},
    {"relu_tanh_sparse_from_logits", R"({"seed": 18, "input": {"values": [[[0.5, -1]], [[0.3, 0.8]], [[-0.4, 0.1]]]},
      "layers": [{"type": "Dense", "units": 4, "activation": "relu"}, {"type": "Dense", "units": 3, "activation": "tanh"},
                 {"type": "Dense", "units": 3}],
      "target": [[2], [0], [1]], "loss": {"name": "sparse_categorical_crossentropy", "from_logits": true}})"},
    {"activation_softmax_cce_hard_sigmoid_lstm", R"({"seed": 19,
      "input": {"values": [[[0.5, -1], [0.3, 0.2], [0, 0]], [[0, 0], [0.9, 0.1], [0.4, -0.6]]]},
      "layers": [{"type": "Masking"},
                 {"type": "LSTM", "units": 3, "return_sequences": true, "recurrent_activation": "hard_sigmoid"},
                 {"type": "Dense", "units": 3}, {"type": "Activation", "activation": "softmax"}],
      "target": [[[1, 0, 0], [0, 1, 0], [0, 0, 1]], [[0, 0, 1], [0.5, 0.5, 0], [1, 0, 0]]],
      "loss": "categorical_crossentropy"})"},
    {"sigmoid_logits_through_dropout", R"({"seed": 20, "input": {"tokens": [[1, 2, 0], [2, 0, 0]]},
      "layers": [{"type": "Embedding", "input_dim": 3, "output_dim": 2, "mask_zero": true},
                 {"type": "Dense", "units": 1, "activation": "sigmoid"}, {"type": "Dropout", "rate": 0.1},
                 {"type": "Activation", "activation": "linear"}],
      "target": [[[1], [0], [1]], [[0], [1], [1]]], "loss": "binary_crossentropy"})"},
    {"gru_softmax_sigmoid_rnn_mse", R"({"seed": 21,
      "input": {"values": [[[0.5, -1], [0.3, 0.2], [0.1, 0.1]], [[0.2, 0.3], [0.9, 0.1], [0.4, -0.6]]]},
      "layers": [{"type": "GRU", "units": 3, "activation": "softmax", "return_sequences": true},
                 {"type": "SimpleRNN", "units": 2, "activation": "sigmoid", "go_backwards": true},
                 {"type": "Dense", "units": 2}],
      "target": [[0.5, -0.5], [1, 0]], "loss": "mse"})"},
    {"lstm_elu_relu_activation_categorical_probs", R"({"seed": 22, "input": {"tokens": [[1, 2, 3], [3, 1, 0]]},
      "layers": [{"type": "Embedding", "input_dim": 4, "output_dim": 2},
                 {"type": "LSTM", "units": 3, "activation": "elu", "return_sequences": true},
                 {"type": "Dense", "units": 3, "activation": "sigmoid"}, {"type": "Activation", "activation": "relu"}],
      "target": [[[1, 0, 0], [0, 1, 0], [0, 0, 1]], [[0, 0, 1], [0, 1, 0], [1, 0, 0]]],
      "loss": "categorical_crossentropy"})"},
    // Graphs (embeddings drawn he_normal: Keras' default uniform(-0.05, 0.05) leaves every score tiny and
    // the softmax nearly uniform, where a wrong softmax gradient would hide under the tolerance): a residual branch (the embedding feeds MultiHeadAttention twice and Add once: three
    // gradients summed), several model inputs, and the attention layers' masks and paths.
    {"mha_residual_layernorm_mse", R"({"seed": 23, "input": {"tokens": [[3, 1, 2, 0], [2, 3, 0, 0]]},
      "layers": [{"type": "Embedding", "name": "emb", "input_dim": 4, "output_dim": 4, "mask_zero": true, "embeddings_initializer": "he_normal"},
                 {"type": "MultiHeadAttention", "name": "mha", "num_heads": 2, "key_dim": 3, "inputs": {"query": "emb", "value": "emb"}},
                 {"type": "Add", "inputs": ["emb", "mha"]},
                 {"type": "LayerNormalization", "epsilon": 0.01}, {"type": "Dense", "units": 2}],
      "target": [[[1, 0], [0, 1], [0.5, 0.5], [0, 0]], [[0, 1], [1, 1], [0, 0], [0, 0]]], "loss": "mse"})"},
    {"mha_masked_loss_then_dense", R"({"seed": 24, "input": {"tokens": [[3, 1, 0, 0], [2, 0, 0, 0]]},
      "layers": [{"type": "Embedding", "name": "emb", "input_dim": 4, "output_dim": 3, "mask_zero": true, "embeddings_initializer": "he_normal"},
                 {"type": "MultiHeadAttention", "num_heads": 2, "key_dim": 2, "use_causal_mask": true,
                  "inputs": {"query": "emb", "value": "emb"}},
                 {"type": "Dense", "units": 2}],
      "target": [[[1, 0], [0, 1], [0, 0], [0, 0]], [[0, 1], [0, 0], [0, 0], [0, 0]]], "loss": "mae"})"},
    {"mha_explicit_path_value_dim_output_shape_no_bias", R"({"seed": 25,
      "inputs": {"dec": {"tokens": [[1, 2, 0], [3, 0, 0]]}, "enc": {"tokens": [[2, 3, 1, 0], [0, 0, 0, 0]]}},
      "layers": [{"type": "Embedding", "name": "de", "input_dim": 4, "output_dim": 3, "mask_zero": true, "embeddings_initializer": "he_normal", "inputs": "dec"},
                 {"type": "Embedding", "name": "ee", "input_dim": 4, "output_dim": 2, "mask_zero": true, "embeddings_initializer": "he_normal", "inputs": "enc"},
                 {"type": "Dense", "name": "ek", "units": 3, "inputs": "ee"},
                 {"type": "MultiHeadAttention", "num_heads": 2, "key_dim": 2, "value_dim": 3, "output_shape": 2,
                  "use_bias": false, "dropout": 0.2, "inputs": {"query": "de", "value": "ee", "key": "ek"}},
                 {"type": "Dense", "units": 1, "activation": "tanh"}],
      "target": [[[1], [0], [0]], [[0.5], [0], [0]]], "loss": "mse"})"},
    {"mha_fused_fully_masked_value_row", R"({"seed": 26,
      "inputs": {"dec": {"values": [[[0.5, -1], [0.2, 0.3]], [[0.1, 0.9], [-0.4, 0.6]]]}, "enc": {"tokens": [[2, 1, 0], [0, 0, 0]]}},
      "layers": [{"type": "Embedding", "name": "ee", "input_dim": 3, "output_dim": 2, "mask_zero": true, "embeddings_initializer": "he_normal", "inputs": "enc"},
                 {"type": "MultiHeadAttention", "num_heads": 1, "key_dim": 2, "inputs": {"query": "dec", "value": "ee"}},
                 {"type": "Dense", "units": 1}],
      "target": [[[1], [0]], [[0.5], [-1]]], "loss": "mse"})"},
    {"attention_dot_scale_causal_sparse", R"({"seed": 27, "input": {"tokens": [[3, 1, 2, 0], [2, 3, 0, 0]]},
      "layers": [{"type": "Embedding", "name": "emb", "input_dim": 4, "output_dim": 3, "mask_zero": true, "embeddings_initializer": "he_normal"},
                 {"type": "Dense", "name": "q", "units": 3, "inputs": "emb"},
                 {"type": "Attention", "use_scale": true, "use_causal_mask": true, "inputs": ["q", "emb"]},
                 {"type": "Dense", "units": 3, "activation": "softmax"}],
      "target": [[0, 1, 2, 0], [1, 2, 0, 0]], "loss": "sparse_categorical_crossentropy"})"},
    {"attention_concat_scale_with_key_concatenate", R"({"seed": 28,
      "input": {"values": [[[0.5, -1], [0.3, 0.2], [0, 0]], [[0.9, 0.1], [0, 0], [0, 0]]]},
      "layers": [{"type": "Masking", "name": "m"}, {"type": "Dense", "name": "k", "units": 2, "inputs": "m"},
                 {"type": "Attention", "name": "att", "use_scale": true, "score_mode": "concat", "inputs": ["m", "m", "k"]},
                 {"type": "Concatenate", "inputs": ["att", "k"]}, {"type": "Dense", "units": 2}],
      "target": [[[1, 0], [0, 1], [0, 0]], [[0, 1], [0, 0], [0, 0]]], "loss": "mse"})"},
    {"attention_concat_no_scale_unmasked_query", R"({"seed": 29,
      "inputs": {"q": {"values": [[[0.5, -1], [0.3, 0.2]], [[0.9, 0.1], [-0.2, 0.4]]]}, "v": {"tokens": [[1, 2, 0], [2, 0, 0]]}},
      "layers": [{"type": "Embedding", "name": "ve", "input_dim": 3, "output_dim": 2, "mask_zero": true, "embeddings_initializer": "he_normal", "inputs": "v"},
                 {"type": "Attention", "score_mode": "concat", "inputs": ["q", "ve"]}, {"type": "Dense", "units": 1}],
      "target": [[[1], [0]], [[0.5], [-1]]], "loss": "mse"})"},
    {"masked_softmax_features", R"({"seed": 30, "input": {"tokens": [[1, 2, 0], [2, 0, 1], [0, 1, 1]]},
      "layers": [{"type": "Embedding", "input_dim": 3, "output_dim": 2, "mask_zero": true},
                 {"type": "Dense", "units": 3}, {"type": "Softmax"}],
      "target": [[[1, 0, 0], [0, 1, 0], [0, 0, 1]], [[0, 0, 1], [0, 1, 0], [1, 0, 0]], [[0.5, 0.5, 0], [0, 1, 0], [1, 0, 0]]],
      "loss": "mse"})"},
};

constexpr double kStep = 1e-6;

bool close_to_reference(double got, double reference) {
  return std::fabs(got - reference) <= 2e-5 + 1e-3 * std::fabs(reference);
}

class GradientCheck : public ::testing::TestWithParam<Case> {};

TEST_P(GradientCheck, WeightAndOutputGradientsMatchFiniteDifferences) {
  const Scenario scenario = load_scenario(GetParam().json, GetParam().name);
  const reference::Params params = reference::params_of(scenario);
  for (RunMode mode : {RunMode::masked, RunMode::unmasked}) {
    SCOPED_TRACE(mode_name(mode));
    const auto grad = compute_gradients(scenario, mode, false);
    ASSERT_TRUE(grad.has_value());
    EXPECT_NEAR(grad->loss, reference::naive_loss(scenario, mode, params), 1e-5 * std::max(1.0, double(grad->loss)));
    std::size_t checked = 0;
    for (std::size_t i = 0; i < scenario.layers.size(); ++i) {
      const LayerGradient& layer = grad->layers[i];
      SCOPED_TRACE(layer.name);
      for (std::size_t k = 0; k < layer.weights.size(); ++k) {
        for (std::size_t e = 0; e < layer.weights[k].value.size(); ++e) {
          reference::Params plus = params, minus = params;
          plus[i][k][e] += kStep;
          minus[i][k][e] -= kStep;
          const double fd = (reference::naive_loss(scenario, mode, plus) - reference::naive_loss(scenario, mode, minus)) /
                            (2 * kStep);
          EXPECT_TRUE(close_to_reference(layer.weights[k].value.values[e], fd))
              << layer.weights[k].name << "[" << e << "]: got " << layer.weights[k].value.values[e] << ", reference " << fd;
          ++checked;
        }
      }
      // A layer whose logits the loss read has no gradient at its probabilities on TensorFlow's tape:
      // its shown output gradient is not a derivative of this forward pass.
      bool behind_logits = false;
      for (std::size_t j = i; j < scenario.layers.size(); ++j) behind_logits |= grad->layers[j].logits_gradient.has_value();
      if (behind_logits) continue;
      for (std::size_t e = 0; e < layer.output_gradient.size(); ++e) {
        const double fd = (reference::naive_loss(scenario, mode, params, reference::Nudge{i, e, kStep}) -
                           reference::naive_loss(scenario, mode, params, reference::Nudge{i, e, -kStep})) /
                          (2 * kStep);
        EXPECT_TRUE(close_to_reference(layer.output_gradient.values[e], fd))
            << "output_gradient[" << e << "]: got " << layer.output_gradient.values[e] << ", reference " << fd;
        ++checked;
      }
    }
    EXPECT_GT(checked, 5u);
  }
}

INSTANTIATE_TEST_SUITE_P(EveryLayerAndLoss, GradientCheck, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace maskviz
