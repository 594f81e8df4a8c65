// Scenario loading: every validation rule refuses its bad input with the exact JSON pointer and a message
// that says what is wrong and what was expected; and what a valid scenario loads to (defaults, names,
// shapes through the stack, weights in both forms).
//
// Map: section 1 helpers; 2 the document (JSON syntax, depth, version, top-level fields); 3 the input;
// 4 layer fields and types; 5 layer order; 6 weights; 7 target and loss; 8 the memory limit;
// 9 what a valid scenario loads to. A new rule gets one test in its section: a tiny scenario, the pointer,
// a key phrase of the message.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <string>

#include "core/errors.h"
#include "scenario/scenario.h"

namespace maskviz {
namespace {

// ---- 1. helpers -------------------------------------------------------------------------------------

struct Refusal {
  std::string pointer;
  std::string message;
};

// Loads `text`; the refusal it gets, or a test failure when it loads.
Refusal refusal(const std::string& text, const LoadOptions& options = {}) {
  try {
    load_scenario(text, "test.json", options);
  } catch (const ScenarioError& e) {
    return {e.pointer(), e.what()};
  }
  ADD_FAILURE() << "loaded, but should have been refused:\n" << text.substr(0, 300);
  return {"(loaded)", ""};
}

#define EXPECT_REFUSED(text, expected_pointer, phrase)                                       \
  do {                                                                                       \
    const Refusal r_ = refusal(text);                                                        \
    EXPECT_EQ(r_.pointer, expected_pointer) << r_.message;                                   \
    EXPECT_NE(r_.message.find(phrase), std::string::npos) << "message: " << r_.message;     \
    EXPECT_EQ(r_.message.find('\n'), std::string::npos) << "one line: " << r_.message;       \
  } while (0)

// A scenario over input.values [1, 3, 2] with the given layers (a JSON list's inside) and extra fields.
std::string on_values(const std::string& layers, const std::string& extra = "") {
  return fmt::format(R"({{"input": {{"values": [[[1, 2], [0, 0], [3, 4]]]}}, "layers": [{}]{}}})", layers,
                     extra.empty() ? "" : ", " + extra);
}

// A scenario over input.tokens [2, 3] (ids below 4) with the given layers after Embedding(4, 2).
std::string on_tokens(const std::string& layers_after = "", const std::string& extra = "") {
  return fmt::format(R"({{"input": {{"tokens": [[1, 0, 2], [3, 1, 0]]}}, "layers": [)"
                     R"({{"type": "Embedding", "input_dim": 4, "output_dim": 2, "mask_zero": true}}{}]{}}})",
                     layers_after.empty() ? "" : ", " + layers_after, extra.empty() ? "" : ", " + extra);
}

Scenario load_ok(const std::string& text) { return load_scenario(text, "test.json"); }

TEST(Validation, HelpersBuildValidScenarios) {
  EXPECT_NO_THROW(load_ok(on_values(R"({"type": "Dense", "units": 2})")));
  EXPECT_NO_THROW(load_ok(on_tokens(R"({"type": "LSTM", "units": 3})")));
}

// ---- 2. the document --------------------------------------------------------------------------------

TEST(Validation, EmptyFile) {
  EXPECT_REFUSED("", "", "the file is empty");
  EXPECT_REFUSED(" \n\t\n", "", "the file is empty");
}

TEST(Validation, SyntaxErrorGivesLineAndColumn) {
  EXPECT_REFUSED("{\n  \"seed\": ,\n}", "", "invalid JSON at line 2, column 11: unexpected character ','");
  EXPECT_REFUSED(on_values(R"({"type": "Dense", "units": 2})") + " x", "", "line 1, column");
  EXPECT_REFUSED("{\"seed\": 1", "", "unexpected end of input");
}

TEST(Validation, NoLibraryTextInSyntaxErrors) {
  const Refusal r = refusal("{\"a\": tru}");
  EXPECT_EQ(r.message.find("json.exception"), std::string::npos) << r.message;
  EXPECT_EQ(r.message.find("parse_error"), std::string::npos) << r.message;
}

TEST(Validation, BinaryGarbage) {
  std::string garbage;
  for (int i = 0; i < 4096; ++i) garbage += static_cast<char>((i * 7919 + 13) % 256);
  EXPECT_REFUSED(garbage, "", "invalid JSON at line");
  EXPECT_REFUSED(std::string("{\"input\":\0}", 11), "", "unexpected byte 0x00");
  EXPECT_REFUSED("\xff\xfe{}", "", "unexpected byte 0xff");
}

TEST(Validation, DeepNestingIsRefusedNotFollowed) {
  EXPECT_REFUSED(std::string(100000, '['), "/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/"
                                           "0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0",
                 "nested deeper than 64 levels");
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += "{\"a\":";
  const Refusal r = refusal(objects);
  EXPECT_NE(r.message.find("nested deeper than 64 levels"), std::string::npos) << r.message;
}

TEST(Validation, TopLevelMustBeAnObject) {
  EXPECT_REFUSED("[1, 2]", "", "expected a scenario (a JSON object), got an array");
  EXPECT_REFUSED("\"x\"", "", "got the string \"x\"");
}

TEST(Validation, VersionMustBeOne) {
  EXPECT_REFUSED(R"({"maskviz": 2, "input": {"values": [[[1]]]}, "layers": [{"type": "Flatten"}]})", "/maskviz",
                 "unsupported format version the number 2; expected 1");
  EXPECT_REFUSED(R"({"maskviz": "1", "input": {"values": [[[1]]]}, "layers": [{"type": "Flatten"}]})", "/maskviz",
                 "expected 1");
  EXPECT_NO_THROW(load_ok(R"({"maskviz": 1, "input": {"values": [[[1]]]}, "layers": [{"type": "Flatten"}]})"));
}

TEST(Validation, UnknownTopLevelFieldSuggestsTheNearName) {
  EXPECT_REFUSED(R"({"inptu": {"values": [[[1]]]}, "layers": [{"type": "Flatten"}]})", "/inptu",
                 "unknown field \"inptu\"; did you mean \"input\"?");
}

TEST(Validation, UnknownTopLevelFieldListsTheKnownOnes) {
  EXPECT_REFUSED(on_values(R"({"type": "Flatten"})", R"("colour": "red")"), "/colour",
                 "unknown field \"colour\"; expected one of:");
}

TEST(Validation, DuplicateFieldNamesThePointer) {
  EXPECT_REFUSED(R"({"seed": 1, "seed": 2, "input": {"values": [[[1]]]}, "layers": [{"type": "Flatten"}]})",
                 "/seed", "field \"seed\" appears twice");
  EXPECT_REFUSED(on_values(R"({"type": "Flatten"}, {"type": "Dense", "units": 2, "units": 3})"), "/layers/1/units",
                 "appears twice");
}

TEST(Validation, RequiredTopLevelFields) {
  EXPECT_REFUSED(R"({"layers": [{"type": "Flatten"}]})", "/input", "missing required field \"input\"");
  EXPECT_REFUSED(R"({"input": {"values": [[[1]]]}})", "/layers", "missing required field \"layers\"");
  EXPECT_REFUSED(R"({"input": {"values": [[[1]]]}, "layers": []})", "/layers", "expected a non-empty list of layers");
  EXPECT_REFUSED(R"({"input": {"values": [[[1]]]}, "layers": {"type": "Flatten"}})", "/layers",
                 "expected a non-empty list of layers, got an object");
}

TEST(Validation, WrongTopLevelTypes) {
  EXPECT_REFUSED(on_values(R"({"type": "Flatten"})", R"("seed": "7")"), "/seed",
                 "expected an integer from 0 to 9007199254740991, got the string \"7\"");
  EXPECT_REFUSED(on_values(R"({"type": "Flatten"})", R"("seed": -1)"), "/seed", "out of range");
  EXPECT_REFUSED(on_values(R"({"type": "Flatten"})", R"("seed": 1.5)"), "/seed", "expected an integer");
  EXPECT_REFUSED(on_values(R"({"type": "Flatten"})", R"("name": 5)"), "/name", "expected a string, got the number 5");
  EXPECT_REFUSED(on_values(R"({"type": "Flatten"})", R"("description": null)"), "/description",
                 "expected a string, got null");
}

// ---- 3. the input -----------------------------------------------------------------------------------

TEST(Validation, InputNeedsExactlyOneOfTokensAndValues) {
  EXPECT_REFUSED(R"({"input": {}, "layers": [{"type": "Flatten"}]})", "/input", "expected exactly one of \"tokens\"");
  EXPECT_REFUSED(R"({"input": {"tokens": [[1]], "values": [[[1]]]}, "layers": [{"type": "Flatten"}]})", "/input",
                 "expected exactly one of");
  EXPECT_REFUSED(R"({"input": {"token": [[1]]}, "layers": [{"type": "Flatten"}]})", "/input/token",
                 "unknown field \"token\"");
  EXPECT_REFUSED(R"({"input": [[1]], "layers": [{"type": "Flatten"}]})", "/input", "got an array");
}

TEST(Validation, RaggedTokens) {
  EXPECT_REFUSED(on_tokens().replace(on_tokens().find("[[1, 0, 2], [3, 1, 0]]"), 22, "[[1, 0, 2], [3, 1]]"),
                 "/input/tokens/1", "a ragged array: this row has 2 entries where the rows before have 3");
}

TEST(Validation, RaggedValuesAtTheDeepestAxis) {
  EXPECT_REFUSED(R"({"input": {"values": [[[1, 2], [3]]]}, "layers": [{"type": "Flatten"}]})", "/input/values/0/1",
                 "ragged");
  EXPECT_REFUSED(R"({"input": {"values": [[[1]], [[1], [2]]]}, "layers": [{"type": "Flatten"}]})",
                 "/input/values/1", "this row has 2 entries where the rows before have 1");
}

TEST(Validation, WrongRankAndEmptyInputs) {
  EXPECT_REFUSED(R"({"input": {"values": [[1, 2]]}, "layers": [{"type": "Flatten"}]})", "/input/values/0/0",
                 "expected an array (axis 2 of input.values [batch, time, features], rank 3), got the number 1");
  EXPECT_REFUSED(R"({"input": {"tokens": [1, 2]}, "layers": [{"type": "Flatten"}]})", "/input/tokens/0",
                 "expected an array");
  EXPECT_REFUSED(R"({"input": {"tokens": []}, "layers": [{"type": "Flatten"}]})", "/input/tokens",
                 "expected a non-empty array");
  EXPECT_REFUSED(R"({"input": {"tokens": [[]]}, "layers": [{"type": "Flatten"}]})", "/input/tokens/0",
                 "expected a non-empty array");
  EXPECT_REFUSED(R"({"input": {"values": [[[]]]}, "layers": [{"type": "Flatten"}]})", "/input/values/0/0",
                 "expected a non-empty array");
}

TEST(Validation, TokenOutsideTheVocabulary) {
  EXPECT_REFUSED(R"({"input": {"tokens": [[1, 0, 2], [3, 1, 4]]}, "layers": [)"
                 R"({"type": "Embedding", "input_dim": 4, "output_dim": 2}]})",
                 "/input/tokens/1/2", "token id 4 is out of range: the Embedding has input_dim 4, so ids must be in [0, 4)");
  EXPECT_REFUSED(R"({"input": {"tokens": [[1, -1]]}, "layers": [{"type": "Embedding", "input_dim": 4, "output_dim": 2}]})",
                 "/input/tokens/0/1", "token id -1 is out of range");
  EXPECT_REFUSED(R"({"input": {"tokens": [[16777216]]}, "layers": [{"type": "Flatten"}]})", "/input/tokens/0/0",
                 "out of range");
}

TEST(Validation, NonIntegerTokenIds) {
  EXPECT_REFUSED(R"({"input": {"tokens": [[1, 1.5]]}, "layers": [{"type": "Embedding", "input_dim": 4, "output_dim": 2}]})",
                 "/input/tokens/0/1", "expected an integer token id, got the number 1.5");
  EXPECT_REFUSED(R"({"input": {"tokens": [["1"]]}, "layers": [{"type": "Embedding", "input_dim": 4, "output_dim": 2}]})",
                 "/input/tokens/0/0", "expected an integer token id, got the string \"1\"");
  EXPECT_REFUSED(R"({"input": {"tokens": [[true]]}, "layers": [{"type": "Embedding", "input_dim": 4, "output_dim": 2}]})",
                 "/input/tokens/0/0", "expected an integer token id, got true");
  // 2.0 is the integer 2, as in Python.
  const Scenario s =
      load_ok(R"({"input": {"tokens": [[2.0]]}, "layers": [{"type": "Embedding", "input_dim": 4, "output_dim": 2}]})");
  EXPECT_EQ(s.input.values[0], 2.0f);
}

TEST(Validation, NonFiniteAndOverflowingNumbers) {
  EXPECT_REFUSED(R"({"input": {"values": [[[1e39]]]}, "layers": [{"type": "Flatten"}]})", "/input/values/0/0/0",
                 "is not a finite float32");
  EXPECT_REFUSED(R"({"input": {"values": [[[1, -3.5e38]]]}, "layers": [{"type": "Flatten"}]})", "/input/values/0/0/1",
                 "is not a finite float32");
  // Beyond double: the parser itself overflows; still a pointer, no library text.
  EXPECT_REFUSED(R"({"input": {"values": [[[0, 1e400]]]}, "layers": [{"type": "Flatten"}]})", "/input/values/0/0/1",
                 "beyond the range of a double");
  EXPECT_REFUSED(on_values(R"({"type": "Masking", "mask_value": 1e39})"), "/layers/0/mask_value",
                 "not a finite float32");
  EXPECT_REFUSED(on_values(R"({"type": "Dense", "units": 1e20})"), "/layers/0/units",
                 "expected an integer from 1 to 1048576, got the number 1e+20");
  EXPECT_REFUSED(on_values(R"({"type": "Dense", "units": 99999999999999999999})"), "/layers/0/units",
                 "expected an integer from 1 to 1048576");
  EXPECT_REFUSED(on_values(R"({"type": "Dense", "units": 18446744073709551615})"), "/layers/0/units", "too large");
  // The largest float32 is accepted.
  EXPECT_NO_THROW(load_ok(R"({"input": {"values": [[[3.4028234e38]]]}, "layers": [{"type": "Flatten"}]})"));
}

// ---- 4. layer fields and types ----------------------------------------------------------------------

TEST(Validation, LayerFieldTypoSuggestsTheNearName) {
  EXPECT_REFUSED(on_tokens().replace(on_tokens().find("\"mask_zero\""), 11, "\"mask_zeros\""), "/layers/0/mask_zeros",
                 "unknown field \"mask_zeros\"; did you mean \"mask_zero\"?");
  EXPECT_REFUSED(on_values(R"({"type": "LSTM", "units": 2, "return_sequence": true})"), "/layers/0/return_sequence",
                 "did you mean \"return_sequences\"?");
}

TEST(Validation, TypoOfARequiredFieldPointsAtTheTypo) {
  EXPECT_REFUSED(on_values(R"({"type": "Dense", "unit": 3})"), "/layers/0/unit", "did you mean \"units\"?");
  EXPECT_REFUSED(on_tokens().replace(on_tokens().find("\"input_dim\""), 11, "\"inputdim\""), "/layers/0/inputdim",
                 "did you mean \"input_dim\"?");
  // A real field of another meaning is never taken for a typo: Dropout's missing "rate" is not "name".
  EXPECT_REFUSED(on_values(R"({"type": "Dropout", "name": "drop"})"), "/layers/0/rate", "missing required field \"rate\"");
}

TEST(Validation, FieldOfAnotherLayerTypeIsUnknownHere) {
  EXPECT_REFUSED(on_values(R"({"type": "Flatten", "units": 3})"), "/layers/0/units",
                 "unknown field \"units\"; expected one of:");
  EXPECT_REFUSED(on_values(R"({"type": "SimpleRNN", "units": 3, "unit_forget_bias": false})"),
                 "/layers/0/unit_forget_bias", "unknown field \"unit_forget_bias\"");
  EXPECT_REFUSED(on_values(R"({"type": "Dense", "units": 3, "colour": 1})"), "/layers/0/colour", "unknown field");
}

TEST(Validation, LayerType) {
  EXPECT_REFUSED(on_values(R"({"units": 2})"), "/layers/0/type", "missing required field \"type\"");
  EXPECT_REFUSED(on_values(R"({"type": "Conv1D"})"), "/layers/0/type", "unknown value \"Conv1D\"; expected one of");
  EXPECT_REFUSED(on_values(R"({"type": 3})"), "/layers/0/type", "got the number 3");
  EXPECT_REFUSED(on_values(R"("Dense")"), "/layers/0", "expected a layer (a JSON object), got the string \"Dense\"");
}

TEST(Validation, WrongLayerFieldTypes) {
  EXPECT_REFUSED(on_values(R"({"type": "Dense", "units": "3"})"), "/layers/0/units", "expected an integer from 1");
  EXPECT_REFUSED(on_values(R"({"type": "Dense", "units": 0})"), "/layers/0/units", "0 is out of range");
  EXPECT_REFUSED(on_values(R"({"type": "Dense", "units": 2, "use_bias": 1})"), "/layers/0/use_bias",
                 "expected true or false, got the number 1");
  EXPECT_REFUSED(on_values(R"({"type": "Masking", "mask_value": "0"})"), "/layers/0/mask_value", "expected a number");
  EXPECT_REFUSED(on_values(R"({"type": "Dense", "units": 2, "name": ["a"]})"), "/layers/0/name", "expected a string");
  EXPECT_REFUSED(on_values(R"({"type": "Dense"})"), "/layers/0/units", "missing required field \"units\"");
  EXPECT_REFUSED(on_values(R"({"type": "Dropout", "rate": 1.5})"), "/layers/0/rate", "expected a number in [0, 1]");
  EXPECT_REFUSED(on_values(R"({"type": "Bidirectional", "layer": {"type": "Dense", "units": 2}})"),
                 "/layers/0/layer/type", "unknown value \"Dense\"; expected one of \"SimpleRNN\", \"LSTM\", \"GRU\"");
  EXPECT_REFUSED(on_values(R"({"type": "Bidirectional", "layer": {"type": "LSTM", "units": 2}, "merge_mode": "max"})"),
                 "/layers/0/merge_mode", "unknown value \"max\"");
  EXPECT_REFUSED(on_values(R"({"type": "Bidirectional", "layer": {"type": "LSTM", "unit": 2}})"),
                 "/layers/0/layer/unit", "did you mean \"units\"?");
}

TEST(Validation, UnknownActivation) {
  EXPECT_REFUSED(on_values(R"({"type": "Dense", "units": 2, "activation": "relu6"})"), "/layers/0/activation",
                 "unknown value \"relu6\"; did you mean \"relu\"? expected one of \"linear\", \"relu\"");
  EXPECT_REFUSED(on_values(R"({"type": "LSTM", "units": 2, "recurrent_activation": "hard_tanh"})"),
                 "/layers/0/recurrent_activation", "unknown value \"hard_tanh\"");
  EXPECT_REFUSED(on_values(R"({"type": "Activation"})"), "/layers/0/activation", "missing required field");
}

TEST(Validation, LayerNames) {
  EXPECT_REFUSED(on_values(R"({"type": "Dense", "units": 2}, {"type": "Dense", "units": 2, "name": "dense"})"),
                 "/layers/1/name", "a second layer named \"dense\"");
  // A default name that clashes with a given one points at the layer's type.
  EXPECT_REFUSED(on_values(R"({"type": "Dense", "units": 2, "name": "dense_1"}, {"type": "Dense", "units": 2},)"
                           R"({"type": "Dense", "units": 2})"),
                 "/layers/2/type", "a second layer named \"dense_1\"");  // Keras: dense_1, dense, dense_1
  EXPECT_REFUSED(on_values(R"({"type": "Dense", "units": 2, "name": ""})"), "/layers/0/name", "non-empty");
  EXPECT_REFUSED(on_values(R"({"type": "Dense", "units": 2, "name": "a\u001b[31mb"})"), "/layers/0/name",
                 "control character");
}

TEST(Validation, ReturnStateOnlyOnTheLastLayer) {
  EXPECT_REFUSED(on_values(R"({"type": "LSTM", "units": 2, "return_state": true}, {"type": "Dense", "units": 1})"),
                 "/layers/0/return_state", "expected return_state only on the last layer");
  EXPECT_REFUSED(on_values(R"({"type": "Bidirectional", "layer": {"type": "GRU", "units": 2, "return_state": true}},)"
                           R"({"type": "Dense", "units": 1})"),
                 "/layers/0/return_state", "only on the last layer");
  EXPECT_NO_THROW(load_ok(on_values(R"({"type": "LSTM", "units": 2, "return_state": true})")));
}

// ---- 5. layer order ---------------------------------------------------------------------------------

TEST(Validation, RecurrentLayerAfterFlatten) {
  EXPECT_REFUSED(on_values(R"({"type": "Flatten"}, {"type": "LSTM", "units": 2})"), "/layers/1/type",
                 "lstm cannot follow an output of shape [1, 6]: it expects a sequence [batch, time, features]");
  EXPECT_REFUSED(on_values(R"({"type": "LSTM", "units": 2}, {"type": "GRU", "units": 2})"), "/layers/1/type",
                 "gru cannot follow an output of shape [1, 2]");
}

TEST(Validation, EmbeddingMustBeFirstOnTokens) {
  EXPECT_REFUSED(on_tokens(R"({"type": "Embedding", "input_dim": 4, "output_dim": 2})"), "/layers/1/type",
                 "cannot follow an output of shape [2, 3, 2]: it expects integer token ids");
  EXPECT_REFUSED(on_values(R"({"type": "Embedding", "input_dim": 4, "output_dim": 2})"), "/layers/0/type",
                 "an Embedding looks up integer token ids: give the input as \"input\": {\"tokens\": [[...]]}");
}

TEST(Validation, SequenceLayersOnTwoDimensions) {
  EXPECT_REFUSED(on_values(R"({"type": "Flatten"}, {"type": "GlobalAveragePooling1D"})"), "/layers/1/type",
                 "global_average_pooling1d cannot follow an output of shape [1, 6]");
  EXPECT_REFUSED(on_values(R"({"type": "Flatten"}, {"type": "GlobalMaxPooling1D"})"), "/layers/1/type",
                 "cannot follow");
  EXPECT_REFUSED(on_values(R"({"type": "Flatten"}, {"type": "Masking"})"), "/layers/1/type", "cannot follow");
  EXPECT_REFUSED(on_values(R"({"type": "Flatten"}, {"type": "Bidirectional", "layer": {"type": "LSTM", "units": 1}})"),
                 "/layers/1/type", "cannot follow");
}

// ---- 6. weights -------------------------------------------------------------------------------------

TEST(Validation, WeightOfTheWrongShapeByName) {
  EXPECT_REFUSED(on_values(R"({"type": "Dense", "units": 3, "weights": {"kernel": [[1, 2, 3]]}})"),
                 "/layers/0/weights/kernel", "1 entry on axis 0 where dense's kernel must have shape [2, 3]; expected 2");
  EXPECT_REFUSED(on_values(R"({"type": "Dense", "units": 3, "weights": {"kernel": [[1, 2, 3], [4, 5]]}})"),
                 "/layers/0/weights/kernel/1", "2 entries on axis 1 where dense's kernel must have shape [2, 3]");
  EXPECT_REFUSED(on_values(R"({"type": "Dense", "units": 3, "weights": {"bias": [[1], [2], [3]]}})"),
                 "/layers/0/weights/bias/0", "expected a number in dense's bias, got an array");
  EXPECT_REFUSED(on_tokens().replace(on_tokens().find("\"mask_zero\": true"), 17,
                                     R"("weights": {"embeddings": [[1, 2], [3, 4], [5, 6]]})"),
                 "/layers/0/weights/embeddings", "3 entries on axis 0 where embedding's embeddings must have shape [4, 2]");
}

TEST(Validation, WeightOfTheWrongShapeInAList) {
  EXPECT_REFUSED(on_values(R"({"type": "Dense", "units": 1, "weights": [[[1], [2]], [1, 2]]})"),
                 "/layers/0/weights/1", "2 entries on axis 0 where dense's bias must have shape [1]");
  EXPECT_REFUSED(on_values(R"({"type": "Dense", "units": 1, "weights": [[[1], [2]]]})"), "/layers/0/weights",
                 "1 arrays given; expected 2 in layer.get_weights() order: kernel [2, 1], bias [1]");
  EXPECT_REFUSED(on_values(R"({"type": "Dense", "units": 1, "weights": "none"})"), "/layers/0/weights",
                 "expected an object of weights by Keras name or a list");
}

TEST(Validation, UnknownWeightName) {
  EXPECT_REFUSED(on_values(R"({"type": "Dense", "units": 1, "weights": {"kernal": [[1], [2]]}})"),
                 "/layers/0/weights/kernal", "unknown field \"kernal\"; did you mean \"kernel\"?");
  EXPECT_REFUSED(on_values(R"({"type": "Dense", "units": 1, "weights": {"gamma": [[1], [2]]}})"),
                 "/layers/0/weights/gamma", "unknown field \"gamma\"; expected one of: bias, kernel");
  EXPECT_REFUSED(on_values(R"({"type": "Dense", "units": 1, "use_bias": false, "weights": {"bias": [1]}})"),
                 "/layers/0/weights/bias", "unknown field \"bias\"; expected one of: kernel");
}

TEST(Validation, WeightsOnALayerWithout) {
  EXPECT_REFUSED(on_values(R"({"type": "Flatten", "weights": []})"), "/layers/0/weights",
                 "Flatten has no weights; remove \"weights\"");
}

TEST(Validation, RecurrentWeightShapes) {
  // LSTM(1) on 2 features: kernel [2, 4], recurrent_kernel [1, 4], bias [4].
  EXPECT_REFUSED(on_values(R"({"type": "LSTM", "units": 1, "weights": {"recurrent_kernel": [[1, 2, 3]]}})"),
                 "/layers/0/weights/recurrent_kernel/0", "must have shape [1, 4]");
  // GRU(1) with reset_after: bias [2, 3].
  EXPECT_REFUSED(on_values(R"({"type": "GRU", "units": 1, "weights": {"bias": [1, 2]}})"),
                 "/layers/0/weights/bias/0", "expected an array (axis 1 of gru's bias, rank 2), got the number 1");
  EXPECT_NO_THROW(load_ok(on_values(R"({"type": "GRU", "units": 1, "reset_after": false, "weights": {"bias": [1, 2, 3]}})")));
}

TEST(Validation, BidirectionalWeightShapes) {
  // Bidirectional(LSTM(1)) on 2 features: each half kernel [2, 4], recurrent_kernel [1, 4], bias [4].
  const std::string layer = R"({"type": "Bidirectional", "layer": {"type": "LSTM", "units": 1}, "weights": )";
  EXPECT_REFUSED(on_values(layer + R"({"forward": {"kernel": [[1, 2, 3, 4]]}}})"), "/layers/0/weights/forward/kernel",
                 "forward_lstm's kernel must have shape [2, 4]");
  EXPECT_REFUSED(on_values(layer + R"({"backward": {"bias": [1, 2, 3]}}})"), "/layers/0/weights/backward/bias",
                 "backward_lstm's bias must have shape [4]");
  EXPECT_REFUSED(on_values(layer + R"({"sideways": {}}})"), "/layers/0/weights/sideways",
                 "unknown field \"sideways\"");
  const std::string k = "[[1, 1, 1, 1], [1, 1, 1, 1]]", r = "[[1, 1, 1, 1]]", b = "[1, 1, 1, 1]";
  // The list: forward's three, then backward's three; the backward bias is the sixth.
  EXPECT_REFUSED(on_values(layer + fmt::format("[{}, {}, {}, {}, {}, [1, 1, 1]]}}", k, r, b, k, r)),
                 "/layers/0/weights/5", "backward_lstm's bias must have shape [4]");
  EXPECT_REFUSED(on_values(layer + fmt::format("[{}, {}, {}]}}", k, r, b)), "/layers/0/weights",
                 "3 arrays given; expected 6");
  EXPECT_REFUSED(on_values(R"({"type": "Bidirectional", "layer": {"type": "LSTM", "units": 1, "weights": []}})"),
                 "/layers/0/layer/weights", "give a Bidirectional's weights on the Bidirectional itself");
}

TEST(Validation, NonFiniteWeight) {
  EXPECT_REFUSED(on_values(R"({"type": "Dense", "units": 1, "weights": {"kernel": [[1], [1e39]]}})"),
                 "/layers/0/weights/kernel/1/0", "not a finite float32");
  EXPECT_REFUSED(on_values(R"({"type": "Dense", "units": 1, "weights": {"kernel": [[1], [null]]}})"),
                 "/layers/0/weights/kernel/1/0", "expected a number in dense's kernel, got null");
}

// ---- 7. target and loss -----------------------------------------------------------------------------

TEST(Validation, LossAndTargetGoTogether) {
  EXPECT_REFUSED(on_values(R"({"type": "Dense", "units": 1})", R"("loss": "mse")"), "/loss",
                 "a loss needs a target; expected \"target\" beside \"loss\"");
  EXPECT_REFUSED(on_values(R"({"type": "Dense", "units": 1})", R"("target": [[[1], [0], [1]]])"), "/target",
                 "a target needs a loss; expected \"loss\" beside \"target\"");
}

TEST(Validation, TargetShapeMustMatchTheOutput) {
  // Dense(1) on [1, 3, 2] gives [1, 3, 1].
  EXPECT_REFUSED(on_values(R"({"type": "Dense", "units": 1})", R"("target": [[[1], [0]]], "loss": "mse")"),
                 "/target/0", "2 entries on axis 1 where the target (the last layer's output shape [1, 3, 1]) must "
                              "have shape [1, 3, 1]; expected 3");
  // One axis short is what Keras squeezes or expands only when the output's last axis is 1
  // (keras_arguments_test.cpp, TargetRank): against [1, 3, 2] it is still refused.
  EXPECT_REFUSED(on_values(R"({"type": "Dense", "units": 2})", R"("target": [[1, 0, 1]], "loss": "mse")"),
                 "/target/0/0", "expected an array");
  EXPECT_NO_THROW(load_ok(on_values(R"({"type": "Dense", "units": 1})", R"("target": [[[1], [0], [1]]], "loss": "mse")")));
}

TEST(Validation, UnknownLoss) {
  EXPECT_REFUSED(on_values(R"({"type": "Dense", "units": 1})", R"("target": [[[1], [0], [1]]], "loss": "hinge")"),
                 "/loss", "unknown loss \"hinge\"; expected one of \"mse\"");
  EXPECT_REFUSED(on_values(R"({"type": "Dense", "units": 1})",
                           R"("target": [[[1], [0], [1]]], "loss": {"name": "hinge"})"),
                 "/loss/name", "unknown value \"hinge\"");
  EXPECT_REFUSED(on_values(R"({"type": "Dense", "units": 1})",
                           R"("target": [[[1], [0], [1]]], "loss": {"name": "mse", "from_logit": true})"),
                 "/loss/from_logit", "did you mean \"from_logits\"?");
  EXPECT_REFUSED(on_values(R"({"type": "Dense", "units": 1})", R"("target": [[[1], [0], [1]]], "loss": 3)"), "/loss",
                 "expected a loss name or an object");
}

TEST(Validation, SparseTargetsAreClassIds) {
  // Dense(3) then GlobalAveragePooling1D... keep it simple: Dense(3) on [1, 3, 2] gives [1, 3, 3]: ids [1, 3].
  const std::string dense3 = R"({"type": "Dense", "units": 3})";
  EXPECT_REFUSED(on_values(dense3, R"("target": [[0, 3, 1]], "loss": "sparse_categorical_crossentropy")"),
                 "/target/0/1", "class id 3 is not valid; expected an integer in [0, 3)");
  EXPECT_REFUSED(on_values(dense3, R"("target": [[0, 1.5, 1]], "loss": "sparse_categorical_crossentropy")"),
                 "/target/0/1", "class id 1.5 is not valid");
  EXPECT_REFUSED(on_values(dense3, R"("target": [[0, 1]], "loss": "sparse_categorical_crossentropy")"), "/target/0",
                 "class ids of shape [1, 3]");
  // A trailing axis of 1 is squeezed, as Keras does.
  const Scenario s = load_ok(on_values(dense3, R"("target": [[[0], [2], [1]]], "loss": "sparse_categorical_crossentropy")"));
  EXPECT_EQ(s.target->shape, (Shape{1, 3}));
  EXPECT_EQ(s.target->values, (std::vector<float>{0, 2, 1}));
}

// ---- 8. the memory limit ----------------------------------------------------------------------------

TEST(Validation, WeightsOverTheMemoryLimitNameTheLayer) {
  LoadOptions small;
  small.max_memory_bytes = 1 << 20;
  // Dense(200) then Dense(2000): 200*2000 floats = 1.5 MiB in the second layer's kernel.
  const Refusal r = refusal(on_values(R"({"type": "Dense", "units": 200}, {"type": "Dense", "units": 2000})"), small);
  EXPECT_EQ(r.pointer, "/layers/1");
  EXPECT_NE(r.message.find("the weights up to layer \"dense_1\" need about 1.6 MiB, over the memory limit of 1.0 MiB"),
            std::string::npos)
      << r.message;
  EXPECT_NE(r.message.find("--max-memory"), std::string::npos) << r.message;
}

TEST(Validation, DefaultLimitRefusesAHugeModelBeforeDrawingIt) {
  // 2 * 20000 * 20000 floats would be 3 GiB: refused at the layer that crosses 1 GiB, nothing drawn.
  const Refusal r = refusal(on_values(R"({"type": "Dense", "units": 20000}, {"type": "Dense", "units": 20000})"));
  EXPECT_EQ(r.pointer, "/layers/1");
  EXPECT_NE(r.message.find("\"dense_1\""), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("memory limit of 1.0 GiB"), std::string::npos) << r.message;
}

TEST(Validation, RecordOverTheMemoryLimitNamesTheLayer) {
  // A long sequence through a small LSTM: the weights are tiny, the full record of both runs is not.
  std::string tokens = "[[";
  for (int t = 0; t < 3000; ++t) tokens += t == 0 ? "1" : ", 1";
  tokens += "]]";
  const std::string text = fmt::format(
      R"({{"input": {{"tokens": {}}}, "layers": [{{"type": "Embedding", "input_dim": 2, "output_dim": 8}},)"
      R"({{"type": "LSTM", "units": 16, "return_sequences": true}}, {{"type": "Dense", "units": 1}}]}})",
      tokens);
  LoadOptions options;
  options.max_memory_bytes = 1 << 20;
  options.detail = Detail::full;
  const Refusal r = refusal(text, options);
  EXPECT_EQ(r.pointer, "/layers/1");
  EXPECT_NE(r.message.find("most of it for layer \"lstm\""), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("--detail outputs"), std::string::npos) << r.message;
  // Recording only the outputs fits.
  options.detail = Detail::outputs;
  EXPECT_NO_THROW(load_scenario(text, "test.json", options));
}

// ---- 9. what a valid scenario loads to --------------------------------------------------------------

TEST(Loading, TopLevelDefaults) {
  const Scenario s = load_ok(on_values(R"({"type": "Flatten"})"));
  EXPECT_EQ(s.seed, 0u);
  EXPECT_EQ(s.name, "");
  EXPECT_EQ(s.source, "test.json");
  EXPECT_FALSE(s.tokens);
  EXPECT_EQ(s.input.shape, (Shape{1, 3, 2}));
  EXPECT_EQ(s.input.values, (std::vector<float>{1, 2, 0, 0, 3, 4}));
  EXPECT_FALSE(s.target.has_value());
  EXPECT_FALSE(s.loss.has_value());
}

TEST(Loading, DefaultNamesFollowKeras) {
  const Scenario s = load_ok(on_tokens(
      R"({"type": "LSTM", "units": 2, "return_sequences": true}, {"type": "LSTM", "units": 2, "return_sequences": true},)"
      R"({"type": "SimpleRNN", "units": 2, "return_sequences": true}, {"type": "GlobalAveragePooling1D"},)"
      R"({"type": "Dense", "units": 2, "name": "head"}, {"type": "Dense", "units": 1})"));
  std::vector<std::string> names;
  for (const auto& layer : s.layers) names.push_back(layer->name());
  // The Dense named "head" takes no number: the next automatic name is "dense", as in Keras.
  EXPECT_EQ(names, (std::vector<std::string>{"embedding", "lstm", "lstm_1", "simple_rnn", "global_average_pooling1d",
                                             "head", "dense"}));
}

TEST(Loading, KerasDefaultsInTheConfig) {
  const Scenario s = load_ok(on_tokens(
      R"({"type": "LSTM", "units": 2, "return_sequences": true}, {"type": "GRU", "units": 2, "return_sequences": true},)"
      R"({"type": "Bidirectional", "layer": {"type": "SimpleRNN", "units": 2}}, {"type": "Dense", "units": 1})"));
  const Json embedding = s.layers[0]->config();
  EXPECT_EQ(embedding["mask_zero"], true);
  EXPECT_EQ(embedding["input_dim"], 4);
  const Json lstm = s.layers[1]->config();
  EXPECT_EQ(lstm["activation"], "tanh");
  EXPECT_EQ(lstm["recurrent_activation"], "sigmoid");
  EXPECT_EQ(lstm["use_bias"], true);
  EXPECT_EQ(lstm["return_state"], false);
  EXPECT_EQ(lstm["go_backwards"], false);
  EXPECT_EQ(lstm["zero_output_for_mask"], false);
  EXPECT_EQ(lstm["unit_forget_bias"], true);
  EXPECT_EQ(s.layers[2]->config()["reset_after"], true);
  const Json bidirectional = s.layers[3]->config();
  EXPECT_EQ(bidirectional["merge_mode"], "concat");
  EXPECT_EQ(bidirectional["layer"]["return_sequences"], false);
  EXPECT_EQ(s.layers[4]->config()["activation"], "linear");
  EXPECT_EQ(load_ok(on_values(R"({"type": "Masking"})")).layers[0]->config()["mask_value"], 0.0);
}

TEST(Loading, ShapesThroughTheStack) {
  // tokens [2, 3] -> Embedding [2, 3, 2] -> LSTM seq [2, 3, 5] -> Bidirectional concat [2, 3, 8]
  // -> Dense [2, 3, 7] -> GlobalMaxPooling1D [2, 7] -> Dense [2, 1].
  const Scenario s = load_ok(on_tokens(
      R"({"type": "LSTM", "units": 5, "return_sequences": true},)"
      R"({"type": "Bidirectional", "layer": {"type": "GRU", "units": 4, "return_sequences": true}},)"
      R"({"type": "Dense", "units": 7}, {"type": "GlobalMaxPooling1D"}, {"type": "Dense", "units": 1})"));
  const std::vector<Shape> expected = {{2, 3, 2}, {2, 3, 5}, {2, 3, 8}, {2, 3, 7}, {2, 7}, {2, 1}};
  ASSERT_EQ(s.layers.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(s.layers[i]->output_shape(), expected[i]) << i;
  // Weight shapes follow: GRU kernel [5, 3*4], bias [2, 12] (reset_after).
  EXPECT_EQ(s.layers[2]->weights()[0].name, "forward/kernel");
  EXPECT_EQ(s.layers[2]->weights()[0].value.shape, (Shape{5, 12}));
  EXPECT_EQ(s.layers[2]->weights()[2].value.shape, (Shape{2, 12}));
  // Flatten and sum merge.
  const Scenario t = load_ok(on_values(
      R"({"type": "Bidirectional", "layer": {"type": "LSTM", "units": 3, "return_sequences": true}, "merge_mode": "sum"},)"
      R"({"type": "Flatten"})"));
  EXPECT_EQ(t.layers[0]->output_shape(), (Shape{1, 3, 3}));
  EXPECT_EQ(t.layers[1]->output_shape(), (Shape{1, 9}));
}

TEST(Loading, WeightsByNameAndAsAListAreTheSame) {
  const std::string kernel = "[[0.5, -1], [2, 0.25]]", bias = "[0.125, -3]";
  const Scenario by_name = load_ok(on_values(
      fmt::format(R"({{"type": "Dense", "units": 2, "weights": {{"kernel": {}, "bias": {}}}}})", kernel, bias)));
  const Scenario as_list =
      load_ok(on_values(fmt::format(R"({{"type": "Dense", "units": 2, "weights": [{}, {}]}})", kernel, bias)));
  for (const Scenario* s : {&by_name, &as_list}) {
    const auto& weights = s->layers[0]->weights();
    ASSERT_EQ(weights.size(), 2u);
    EXPECT_EQ(weights[0].name, "kernel");
    EXPECT_EQ(weights[0].value.values, (std::vector<float>{0.5f, -1, 2, 0.25f}));
    EXPECT_EQ(weights[1].value.values, (std::vector<float>{0.125f, -3}));
    EXPECT_FALSE(weights[0].drawn);
    EXPECT_FALSE(weights[1].drawn);
  }
}

TEST(Loading, MissingWeightsAreDrawnAndSaySo) {
  const Scenario s = load_ok(on_values(R"({"type": "LSTM", "units": 2, "weights": {"bias": [1, 2, 3, 4, 5, 6, 7, 8]}})"));
  const auto& weights = s.layers[0]->weights();
  ASSERT_EQ(weights.size(), 3u);
  EXPECT_TRUE(weights[0].drawn);
  EXPECT_EQ(weights[0].initializer, "glorot_uniform(limit=0.7746)");  // sqrt(6 / (2 + 8))
  EXPECT_TRUE(weights[1].drawn);
  EXPECT_EQ(weights[1].initializer, "orthogonal(gain=1)");
  EXPECT_FALSE(weights[2].drawn);
  EXPECT_EQ(weights[2].value.values[7], 8.0f);
}

TEST(Loading, BidirectionalWeightsAsAListSplitForwardThenBackward) {
  const std::string k1 = "[[1]]", r1 = "[[2]]", b1 = "[3]", k2 = "[[4]]", r2 = "[[5]]", b2 = "[6]";
  const Scenario s = load_ok(fmt::format(
      R"({{"input": {{"values": [[[1], [2]]]}}, "layers": [{{"type": "Bidirectional", "layer": )"
      R"({{"type": "SimpleRNN", "units": 1}}, "weights": [{}, {}, {}, {}, {}, {}]}}]}})",
      k1, r1, b1, k2, r2, b2));
  std::vector<std::pair<std::string, float>> got;
  for (const auto& w : s.layers[0]->weights()) got.emplace_back(w.name, w.value.values[0]);
  EXPECT_EQ(got, (std::vector<std::pair<std::string, float>>{{"forward/kernel", 1.0f},
                                                             {"forward/recurrent_kernel", 2.0f},
                                                             {"forward/bias", 3.0f},
                                                             {"backward/kernel", 4.0f},
                                                             {"backward/recurrent_kernel", 5.0f},
                                                             {"backward/bias", 6.0f}}));
}

TEST(Loading, SameScenarioSameWeights) {
  const std::string text = on_tokens(R"({"type": "LSTM", "units": 3}, {"type": "Dense", "units": 2})", R"("seed": 11)");
  const Scenario a = load_ok(text), b = load_ok(text);
  for (std::size_t i = 0; i < a.layers.size(); ++i)
    for (std::size_t w = 0; w < a.layers[i]->weights().size(); ++w)
      EXPECT_EQ(a.layers[i]->weights()[w].value.values, b.layers[i]->weights()[w].value.values);
  const Scenario c = load_ok(on_tokens(R"({"type": "LSTM", "units": 3}, {"type": "Dense", "units": 2})", R"("seed": 12)"));
  EXPECT_NE(a.layers[1]->weights()[0].value.values, c.layers[1]->weights()[0].value.values);
}

TEST(Loading, LossAsNameOrObject) {
  const std::string dense = R"({"type": "Dense", "units": 1, "activation": "sigmoid"})";
  const Scenario plain = load_ok(on_values(dense, R"("target": [[[1], [0], [1]]], "loss": "binary_crossentropy")"));
  EXPECT_EQ(plain.loss->kind, LossKind::binary_crossentropy);
  EXPECT_FALSE(plain.loss->from_logits);
  const Scenario logits = load_ok(
      on_values(dense, R"("target": [[[1], [0], [1]]], "loss": {"name": "binary_crossentropy", "from_logits": true})"));
  EXPECT_TRUE(logits.loss->from_logits);
  EXPECT_EQ(logits.target->shape, (Shape{1, 3, 1}));
}

}  // namespace
}  // namespace maskviz
