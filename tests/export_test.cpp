// `maskviz export`: the JSON reads back to the record, number for number (float32 bit for bit), field for
// field, for every bundled and golden scenario at every detail level; the writer's escaping, numbers and
// buffering hold on their own; and the CLI writes the same bytes to stdout and to -o FILE.
//
// The schema check and the notebook run are scripts: tests/check_export.py, registered in tests/export.cmake.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <random>
#include <sstream>

#include <unistd.h>

#include "record_access.h"
#include "engine/engine.h"
#include "grad/grad_record.h"
#include "render/json_writer.h"
#include "render/render.h"
#include "scenario/scenario.h"
#include "test_names.h"

namespace maskviz {
namespace {

namespace fs = std::filesystem;
using Ordered = nlohmann::ordered_json;  // key order matters: gates read i, f, c~, o as in the equations

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Every scenario the project ships: the goldens and the teaching scenarios in scenarios/.
std::vector<std::string> bundled_scenarios() {
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(fs::path(MASKVIZ_TEST_DIR) / "golden"))
    if (entry.path().string().ends_with(".scenario.json")) files.push_back(entry.path().string());
  const fs::path scenarios = fs::path(MASKVIZ_SOURCE_DIR) / "scenarios";
  if (fs::is_directory(scenarios))
    for (const auto& entry : fs::directory_iterator(scenarios))
      if (entry.path().extension() == ".json") files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

std::string export_text(const Trace& trace) {
  std::ostringstream out;
  write_trace_json(trace, out);
  return out.str();
}

// Compares an exported document with the record it came from. Mismatches are collected (the first few
// with their JSON path), so that one broken field reports once rather than once per number.
class ReadBack {
 public:
  std::size_t failures = 0;
  std::size_t numbers_compared = 0;
  std::size_t non_finite_seen = 0;  // record values that are NaN or infinite
  std::string report;

  void check(bool ok, const std::string& where, const std::string& what) {
    if (ok) return;
    if (++failures <= 12) report += where + ": " + what + "\n";
  }

  // One float32: null exactly where the record has NaN or an infinity, else the same bits.
  void number(const Ordered& j, float want, const std::string& where) {
    ++numbers_compared;
    if (!std::isfinite(want)) {
      ++non_finite_seen;
      check(j.is_null(), where, "expected null for a non-finite value, got " + j.dump());
      return;
    }
    if (!j.is_number()) {
      check(false, where, "expected a number, got " + j.dump());
      return;
    }
    const float got = static_cast<float>(j.get<double>());
    check(std::bit_cast<std::uint32_t>(got) == std::bit_cast<std::uint32_t>(want), where,
          "read back " + j.dump() + ", the record has " + float_text(want));
  }

  void nested(const Ordered& j, const Shape& shape, std::size_t axis, const float* data, const std::string& where) {
    if (!j.is_array() || j.size() != shape[axis]) {
      check(false, where, "expected an array of " + std::to_string(shape[axis]) + ", got " + j.dump().substr(0, 80));
      return;
    }
    std::size_t stride = 1;
    for (std::size_t a = axis + 1; a < shape.size(); ++a) stride *= shape[a];
    for (std::size_t i = 0; i < shape[axis]; ++i) {
      const std::string at = where + "/" + std::to_string(i);
      if (axis + 1 == shape.size()) number(j[i], data[i], at);
      else nested(j[i], shape, axis + 1, data + i * stride, at);
    }
  }

  void values(const Ordered& j, const Shape& shape, const std::vector<float>& v, const std::string& where) {
    if (shape.empty()) number(j, v.at(0), where);
    else nested(j, shape, 0, v.data(), where);
  }

  void tensor(const Ordered& j, const Tensor& t, const std::string& where) {
    if (t.shape.empty() && t.values.empty()) {
      check(j.is_null(), where, "expected null for a tensor the record did not fill");
      return;
    }
    values(j, t.shape, t.values, where);
  }

  // An object by name, in the record's order.
  void named(const Ordered& j, const std::vector<NamedTensor>& list, const std::string& where) {
    if (!j.is_object() || j.size() != list.size()) {
      check(false, where, "expected an object of " + std::to_string(list.size()) + " named tensors");
      return;
    }
    auto it = j.begin();
    for (const auto& item : list) {
      check(it.key() == item.name, where, "key " + it.key() + " where the record has " + item.name);
      tensor(it.value(), item.value, where + "/" + item.name);
      ++it;
    }
  }

  void mask(const Ordered& j, const OptMask& m, const std::string& where) {
    if (!m) {
      check(j.is_null(), where, "expected null: no mask");
      return;
    }
    bool same = j.is_array() && j.size() == m->batch;
    for (std::size_t b = 0; same && b < m->batch; ++b) {
      same = j[b].is_array() && j[b].size() == m->time;
      for (std::size_t t = 0; same && t < m->time; ++t) same = j[b][t].is_boolean() && j[b][t].get<bool>() == m->at(b, t);
    }
    check(same, where, "mask differs from the record");
  }

  void shape(const Ordered& j, const Shape& s, const std::string& where) {
    check(j.is_array() && j.get<Shape>() == s, where, "shape " + j.dump() + ", the record has " + shape_text(s));
  }

  void step(const Ordered& j, const StepRecord& s, Detail detail, const std::string& where) {
    check(j.at("batch") == s.batch && j.at("t") == s.t && j.at("k") == s.k, where, "batch, t or k differ");
    check(j.at("masked") == s.masked && j.at("carried_over") == s.carried_over, where, "masked or carried_over differ");
    check(j.at("output_source") == output_source_name(s.output_source), where, "output_source differs");
    const bool full = detail == Detail::full;
    for (const char* key : {"input", "prev_states", "products", "biases", "gated_terms", "pre_activations", "gates",
                            "candidate_states", "candidate_output"})
      check(j.contains(key) == full, where, std::string(key) + (full ? " missing at detail full" : " present below full"));
    if (full) {
      tensor(j["input"], s.input, where + "/input");
      named(j["prev_states"], s.prev_states, where + "/prev_states");
      const Ordered& products = j["products"];
      check(products.size() == s.products.size(), where, "product count differs");
      for (std::size_t i = 0; i < std::min(products.size(), s.products.size()); ++i) {
        const Product& p = s.products[i];
        const std::string at = where + "/products/" + std::to_string(i);
        check(products[i].at("lhs_name") == p.lhs_name && products[i].at("rhs_name") == p.rhs_name, at, "names differ");
        check(p.rhs_part.empty() ? products[i].at("rhs_part").is_null() : products[i].at("rhs_part") == p.rhs_part, at,
              "rhs_part differs");
        tensor(products[i].at("lhs"), p.lhs, at + "/lhs");
        tensor(products[i].at("result"), p.result, at + "/result");
      }
      named(j["biases"], s.biases, where + "/biases");
      const Ordered& terms = j["gated_terms"];
      check(terms.size() == s.gated_terms.size(), where, "gated term count differs");
      for (std::size_t i = 0; i < std::min(terms.size(), s.gated_terms.size()); ++i) {
        const GatedTerm& g = s.gated_terms[i];
        const std::string at = where + "/gated_terms/" + std::to_string(i);
        check(terms[i].at("gate") == g.gate && terms[i].at("operand_name") == g.operand_name &&
                  terms[i].at("operand_formula") == g.operand_formula && terms[i].at("column") == g.column,
              at, "names or column differ");
        tensor(terms[i].at("operand"), g.operand, at + "/operand");
        tensor(terms[i].at("result"), g.result, at + "/result");
      }
      named(j["pre_activations"], s.pre_activations, where + "/pre_activations");
      named(j["gates"], s.gates, where + "/gates");
      named(j["candidate_states"], s.candidate_states, where + "/candidate_states");
      tensor(j["candidate_output"], s.candidate_output, where + "/candidate_output");
    }
    named(j.at("kept_states"), s.kept_states, where + "/kept_states");
    tensor(j.at("output"), s.output, where + "/output");
  }

  // The backward pass's fields of a layer (gradients, output_gradient, steps[].gradient): null without a loss.
  void gradient_fields(const Ordered& j, const LayerRecord& r, const LayerGradient* g, const std::string& where) {
    if (g == nullptr) {
      check(j.at("gradients").is_null() && j.at("output_gradient").is_null() && j.at("input_gradients").is_null(), where,
            "gradients without a loss");
      return;
    }
    for (const auto& w : g->weights) tensor(j.at("gradients").at(w.name), w.value, where + "/gradients/" + w.name);
    tensor(j.at("output_gradient"), g->output_gradient, where + "/output_gradient");
    if (g->inputs.empty()) check(j.at("input_gradients").is_null(), where, "input_gradients of a layer that is not attention");
    for (const auto& in : g->inputs)
      tensor(j.at("input_gradients").at(in.role), in.gradient, where + "/input_gradients/" + in.role);
    if (r.detail != Detail::full) return;
    for (std::size_t i = 0; i < std::min(g->steps.size(), steps_of(r).size()); ++i)
      for (const auto& term : g->steps[i].contributions)
        tensor(j.at("steps")[i].at("gradient").at(term.name), term.value,
               where + "/steps/" + std::to_string(i) + "/gradient/" + term.name);
  }

  void layer(const Ordered& j, const LayerRecord& r, const std::string& where, const LayerGradient* g = nullptr) {
    const std::size_t non_finite_before = non_finite_seen;
    gradient_fields(j, r, g, where);
    check(j.at("name") == r.name && j.at("type") == r.type, where, "name or type differ");
    check(Json::parse(j.at("config").dump()) == r.config, where, "config differs");
    shape(j.at("input_shape"), r.input_shape, where + "/input_shape");
    shape(j.at("output_shape"), r.output_shape, where + "/output_shape");
    check(j.at("mask_action") == mask_action_name(r.mask_action), where, "mask_action differs");
    mask(j.at("input_mask"), r.input_mask, where + "/input_mask");
    mask(j.at("output_mask"), r.output_mask, where + "/output_mask");
    tensor(j.at("output"), r.output, where + "/output");
    named(j.at("states"), r.states, where + "/states");
    const Ordered& weights = j.at("weights");
    check(weights.size() == r.weights.size(), where, "weight count differs");
    for (const auto& w : r.weights) {
      tensor(weights.at(w.name), w.value, where + "/weights/" + w.name);
      const Ordered& info = j.at("weight_info").at(w.name);
      check(info.at("drawn") == w.drawn, where + "/weight_info/" + w.name, "drawn differs");
      shape(info.at("shape"), w.value.shape, where + "/weight_info/" + w.name + "/shape");
      check(w.initializer.empty() ? info.at("initializer").is_null() : info.at("initializer") == w.initializer, where,
            "initializer differs");
    }
    check(j.at("warnings") == Ordered(r.warnings) && j.at("notes") == Ordered(r.notes), where, "warnings or notes differ");
    check(j.at("detail") == detail_name(r.detail), where, "detail differs");
    const Ordered& steps = j.at("steps");
    check(steps.size() == steps_of(r).size(), where, "step count differs");
    for (std::size_t i = 0; i < std::min(steps.size(), steps_of(r).size()); ++i)
      step(steps[i], steps_of(r)[i], r.detail, where + "/steps/" + std::to_string(i));
    const Ordered& lookups = j.at("lookups");
    check(lookups.size() == lookups_of(r).size(), where, "lookup count differs");
    for (std::size_t i = 0; i < std::min(lookups.size(), lookups_of(r).size()); ++i) {
      const LookupRecord& l = lookups_of(r)[i];
      check(lookups[i] == Ordered{{"batch", l.batch}, {"t", l.t}, {"token", l.token}, {"masked", l.masked}},
            where + "/lookups/" + std::to_string(i), "lookup differs: " + lookups[i].dump());
    }
    const Ordered& reductions = j.at("reductions");
    check(reductions.size() == reductions_of(r).size(), where, "reduction count differs");
    for (std::size_t i = 0; i < std::min(reductions.size(), reductions_of(r).size()); ++i) {
      const ReductionRecord& red = reductions_of(r)[i];
      const Ordered& got = reductions[i];
      const std::string at = where + "/reductions/" + std::to_string(i);
      check(got.at("batch") == red.batch && got.at("non_finite") == red.non_finite, at, "batch or non_finite differ");
      std::vector<bool> counted(red.counted.begin(), red.counted.end());
      check(got.at("counted") == Ordered(counted), at, "counted differs");
      const bool average = !red.sum.values.empty();
      tensor(got.at("sum"), red.sum, at + "/sum");
      if (average) number(got.at("divisor"), red.divisor, at + "/divisor");
      else check(got.at("divisor").is_null(), at, "divisor outside average pooling");
      check(red.argmax.empty() ? got.at("argmax").is_null() : got.at("argmax") == Ordered(red.argmax), at,
            "argmax differs");
      std::vector<bool> argmax_masked(red.argmax_masked.begin(), red.argmax_masked.end());
      check(red.argmax_masked.empty() ? got.at("argmax_masked").is_null()
                                      : got.at("argmax_masked") == Ordered(argmax_masked),
            at, "argmax_masked differs");
    }
    const Ordered& sublayers = j.at("sublayers");
    check(sublayers.size() == halves_of(r).size(), where, "sublayer count differs");
    for (std::size_t i = 0; i < std::min(sublayers.size(), halves_of(r).size()); ++i)
      layer(sublayers[i], halves_of(r)[i], where + "/sublayers/" + std::to_string(i),
            g != nullptr && i < g->sublayers.size() ? &g->sublayers[i] : nullptr);
    check(j.at("output_has_non_finite") == r.output_has_non_finite, where, "output_has_non_finite differs");
    non_finite_summary(j.at("non_finite"), non_finite_before, where);
  }

  void loss(const Ordered& j, const std::optional<LossRecord>& r, const std::string& where) {
    if (!r) {
      check(j.is_null(), where, "expected null: no target");
      return;
    }
    const std::size_t non_finite_before = non_finite_seen;
    check(j.at("name") == r->name && j.at("reduction") == r->reduction, where, "name or reduction differ");
    check(j.at("from_logits") == r->from_logits && j.at("used_keras_logits") == r->used_keras_logits, where,
          "from_logits or used_keras_logits differ");
    number(j.at("value"), r->value, where + "/value");
    number(j.at("weighted_sum"), r->weighted_sum, where + "/weighted_sum");
    check(j.at("valid") == r->valid && j.at("total") == r->total, where, "valid or total differ");
    shape(j.at("terms_shape"), r->terms_shape, where + "/terms_shape");
    values(j.at("terms"), r->terms_shape, r->terms, where + "/terms");
    values(j.at("weights"), r->terms_shape, r->weights, where + "/weights");
    mask(j.at("mask"), r->mask, where + "/mask");
    check(j.at("warnings") == Ordered(r->warnings), where, "warnings differ");
    non_finite_summary(j.at("non_finite"), non_finite_before, where);
  }

  // "non_finite" is null when every number of the object is there, else it counts the nulls.
  void non_finite_summary(const Ordered& j, std::size_t non_finite_before, const std::string& where) {
    const std::size_t count = non_finite_seen - non_finite_before;
    if (count == 0) {
      check(j.is_null(), where, "non_finite should be null: every number is finite");
      return;
    }
    check(j.is_object() && j.at("count") == count && !j.at("reason").get<std::string>().empty() &&
              !j.at("fields").empty(),
          where, "non_finite should count " + std::to_string(count) + " nulls, got " + j.dump());
  }

  void run(const Ordered& j, const RunRecord& r, const std::string& where) {
    check(j.at("mode") == mode_name(r.mode), where, "mode differs");
    const Ordered& layers = j.at("layers");
    check(layers.size() == r.layers.size(), where, "layer count differs");
    for (std::size_t i = 0; i < std::min(layers.size(), r.layers.size()); ++i)
      layer(layers[i], r.layers[i], where + "/layers/" + std::to_string(i), r.grad ? &r.grad->layers[i] : nullptr);
    loss(j.at("loss"), r.loss, where + "/loss");
    if (!r.grad) {
      check(j.at("train").is_null(), where, "train without a loss");
      return;
    }
    const auto& after = r.grad->train.weights_after;
    for (std::size_t i = 0; i < after.size(); ++i)
      for (const auto& w : after[i])
        tensor(j.at("train").at("weights_after")[i].at(w.name), w.value,
               where + "/train/weights_after/" + std::to_string(i) + "/" + w.name);
  }

 private:
  static std::string float_text(float v) {
    char buffer[64];
    return std::string(buffer, std::to_chars(buffer, buffer + sizeof buffer, v).ptr);
  }
};

class ExportEveryScenario : public ::testing::TestWithParam<std::string> {};

TEST_P(ExportEveryScenario, ReadsBackToTheRecordAtEveryDetail) {
  const Scenario scenario = load_scenario(read_file(GetParam()), GetParam());
  for (Detail detail : {Detail::full, Detail::steps, Detail::outputs}) {
    SCOPED_TRACE(detail_name(detail));
    const Trace trace = run_both(scenario, detail);
    const Ordered j = Ordered::parse(export_text(trace));

    // The floor of ../shared/spec/cli-and-trace.md.
    EXPECT_EQ(j.at("format"), "maskviz-trace");
    EXPECT_EQ(j.at("version"), 1);
    EXPECT_EQ(j.at("keras_semantics"), "3.15.1");
    EXPECT_EQ(j.at("detail"), detail_name(detail));
    EXPECT_EQ(j.at("scenario").at("name"), scenario.name);
    EXPECT_EQ(j.at("scenario").at("description"), scenario.description);
    EXPECT_EQ(j.at("scenario").at("seed"), scenario.seed);
    ASSERT_EQ(j.at("runs").size(), 2u);

    ReadBack read_back;
    const Ordered& input = j.at("scenario").at("input");
    if (scenario.tokens) {
      const auto tokens = input.at("tokens").get<std::vector<std::vector<long long>>>();
      std::vector<float> as_floats;
      for (const auto& row : tokens) as_floats.insert(as_floats.end(), row.begin(), row.end());
      EXPECT_EQ(as_floats, scenario.input.values);
    } else {
      read_back.tensor(input.at("values"), scenario.input, "/scenario/input/values");
    }
    if (scenario.target) read_back.tensor(j.at("scenario").at("target"), *scenario.target, "/scenario/target");
    else EXPECT_TRUE(j.at("scenario").at("target").is_null());
    read_back.run(j.at("runs")[0], trace.masked, "/runs/0");
    read_back.run(j.at("runs")[1], trace.unmasked, "/runs/1");
    EXPECT_EQ(read_back.failures, 0u) << read_back.report;
    EXPECT_GT(read_back.numbers_compared, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Bundled, ExportEveryScenario, ::testing::ValuesIn(bundled_scenarios()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           const std::string file = fs::path(info.param).filename().string();
                           return gtest_name(file.substr(0, file.find('.')));
                         });

// A sequence that is all padding pools to 0/0 = NaN (as in Keras): the file stays JSON, the NaN is
// null, and the layer says how many and why.
TEST(Export, FullyMaskedAveragePoolIsNullWithAReason) {
  const Scenario scenario = load_scenario(R"({
    "input": {"tokens": [[2, 1, 0], [0, 0, 0]]},
    "layers": [{"type": "Embedding", "input_dim": 4, "output_dim": 3, "mask_zero": true},
               {"type": "GlobalAveragePooling1D"}],
    "target": [[0, 0, 0], [0, 0, 0]], "loss": "mse"})", "fully-masked");
  const Trace trace = run_both(scenario, Detail::full);
  const Ordered j = Ordered::parse(export_text(trace));
  const Ordered& pool = j["runs"][0]["layers"][1];
  ASSERT_TRUE(trace.masked.layers[1].output_has_non_finite);
  EXPECT_EQ(pool["output"][1], Ordered::parse("[null, null, null]"));  // the all-padding sequence
  EXPECT_TRUE(pool["output"][0][0].is_number());
  ASSERT_TRUE(pool["non_finite"].is_object());
  // The NaN output's loss term sends NaN back as its output gradient (3 more), as TensorFlow does.
  EXPECT_EQ(pool["non_finite"]["count"], 6);
  EXPECT_NE(pool["non_finite"]["reason"].get<std::string>().find("fully masked"), std::string::npos);
  EXPECT_EQ(pool["non_finite"]["fields"], Ordered::parse(R"(["output", "output_gradient"])"));
  EXPECT_EQ(pool["output_gradient"][1], Ordered::parse("[null, null, null]"));
  EXPECT_EQ(pool["reductions"][1]["non_finite"], true);
  EXPECT_EQ(pool["reductions"][1]["divisor"], 0);
  // The NaN reaches the masked run's loss; the unmasked run averages the padding rows and has numbers.
  EXPECT_TRUE(j["runs"][0]["loss"]["value"].is_null());
  EXPECT_TRUE(j["runs"][0]["loss"]["non_finite"].is_object());
  EXPECT_TRUE(j["runs"][1]["layers"][1]["non_finite"].is_null());
  EXPECT_TRUE(j["runs"][1]["loss"]["value"].is_number());
}

// Keras warns when from_logits=True meets a sigmoid output (it reads the logits behind it anyway).
TEST(Export, LossWarningsAreExported) {
  const Scenario scenario = load_scenario(R"({
    "input": {"values": [[[0.5], [1.0]]]},
    "layers": [{"type": "Dense", "units": 1, "activation": "sigmoid"}],
    "target": [[[1], [0]]], "loss": {"name": "binary_crossentropy", "from_logits": true}})", "loss-warning");
  const Trace trace = run_both(scenario, Detail::full);
  ASSERT_TRUE(trace.masked.loss.has_value());
  ASSERT_FALSE(trace.masked.loss->warnings.empty());
  const Ordered j = Ordered::parse(export_text(trace));
  EXPECT_EQ(j["runs"][0]["loss"]["warnings"], Ordered(trace.masked.loss->warnings));
  EXPECT_NE(j["runs"][0]["loss"]["warnings"][0].get<std::string>().find("from_logits"), std::string::npos);
}

TEST(Export, CliWritesTheSameBytesToStdoutAndToAFile) {
  const std::string scenario_path = std::string(MASKVIZ_TEST_DIR) + "/golden/lstm-carry-over.scenario.json";
  const fs::path dir = fs::temp_directory_path() / ("maskviz-export-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path stdout_file = dir / "stdout.json", output_file = dir / "trace.json";
  const std::string binary = MASKVIZ_BINARY;
  ASSERT_EQ(std::system(("\"" + binary + "\" export \"" + scenario_path + "\" > \"" + stdout_file.string() + "\"").c_str()), 0);
  ASSERT_EQ(std::system(("\"" + binary + "\" export \"" + scenario_path + "\" -o \"" + output_file.string() + "\"").c_str()), 0);
  const std::string via_stdout = read_file(stdout_file), via_file = read_file(output_file);
  EXPECT_FALSE(fs::exists(output_file.string() + ".partial"));
  fs::remove_all(dir);

  const Scenario scenario = load_scenario(read_file(scenario_path), scenario_path);
  EXPECT_EQ(via_stdout, via_file);
  EXPECT_EQ(via_stdout, export_text(run_both(scenario, default_detail(scenario))));
  EXPECT_EQ(via_stdout.back(), '\n');
}

// --- The writer on its own ---

std::string write_with(std::size_t buffer_bytes, const std::function<void(JsonWriter&)>& body) {
  std::ostringstream out;
  JsonWriter w(out, buffer_bytes);
  body(w);
  w.finish();
  std::string text = out.str();
  text.pop_back();  // finish()'s newline
  return text;
}

std::string write_string(std::string_view s) {
  return write_with(JsonWriter::default_buffer_bytes, [&](JsonWriter& w) { w.string(s); });
}

TEST(JsonWriter, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(write_string("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(write_string("\n\r\t\b\f"), R"("\n\r\t\b\f")");
  EXPECT_EQ(write_string(std::string_view("\x00\x01\x1f\x7f", 4)), "\"\\u0000\\u0001\\u001f\x7f\"");
  EXPECT_EQ(write_string("/"), R"("/")");
}

TEST(JsonWriter, PassesUnicodeThroughAndReplacesWhatIsNotUtf8) {
  const std::string names = "h\xC3\xA9 \xE6\xBC\xA2 \xF0\x9F\x99\x82 \xE2\x80\xA8";  // hé 漢 🙂 U+2028
  EXPECT_EQ(write_string(names), "\"" + names + "\"");
  EXPECT_EQ(Json::parse(write_string(names)).get<std::string>(), names);
  EXPECT_EQ(write_string("a\xFFz"), R"("a\ufffdz")");             // never a UTF-8 byte
  EXPECT_EQ(write_string("\xC0\xAF"), R"("\ufffd\ufffd")");        // overlong '/'
  EXPECT_EQ(write_string("\xED\xA0\x80"), R"("\ufffd\ufffd\ufffd")");  // a surrogate
  EXPECT_EQ(write_string("\xF4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")");  // above U+10FFFF
  EXPECT_EQ(write_string("\xE6\xBC"), R"("\ufffd\ufffd")");        // cut short
  EXPECT_TRUE(Json::accept(write_string("\xFF\xFE\x80 x")));
}

TEST(JsonWriter, PlacesCommasAndColons) {
  const std::string text = write_with(64, [](JsonWriter& w) {
    w.begin_object();
    w.key("a");
    w.begin_array();
    w.integer(-3);
    w.unsigned_integer(18446744073709551615ULL);
    w.boolean(true);
    w.null();
    w.begin_object();
    w.end_object();
    w.end_array();
    w.newline();
    w.key("b");
    w.string("");
    w.end_object();
  });
  EXPECT_EQ(text, "{\"a\":[-3,18446744073709551615,true,null,{}],\n\"b\":\"\"}");
}

TEST(JsonWriter, RefusesToFinishAnOpenDocument) {
  std::ostringstream out;
  JsonWriter w(out);
  w.begin_array();
  EXPECT_THROW(w.finish(), std::logic_error);
  EXPECT_THROW(w.end_object(), std::logic_error);
}

TEST(JsonWriter, NonFiniteNumbersBecomeNullAndAreCounted) {
  std::ostringstream out;
  JsonWriter w(out);
  const float values[] = {1.5f, std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                          -std::numeric_limits<float>::infinity(), -0.0f, 0.0f};
  w.numbers(values, 6);
  EXPECT_EQ(w.non_finite_count(), 3u);
  w.finish();
  EXPECT_EQ(out.str(), "[1.5,null,null,null,-0.0,0]\n");
  // -0.0 keeps its sign through a reader that would parse "-0" as the integer 0.
  EXPECT_TRUE(std::signbit(Json::parse(out.str())[4].get<double>()));
}

// The shortest text that reads back as the same float32, whether a reader parses straight to float or,
// as Python and NumPy do, to double first and then rounds to float32.
TEST(JsonWriter, FloatsReadBackBitForBitAndAreShortest) {
  std::mt19937 random(20240611);
  std::vector<float> values = {0.1f, 1.0f / 3.0f, 1e-45f, std::numeric_limits<float>::denorm_min(),
                               std::numeric_limits<float>::min(), std::numeric_limits<float>::max(),
                               -std::numeric_limits<float>::max(), 16777216.0f, 16777217.0f, 3.0f, 1e10f,
                               8.589973e9f, 2.3509886e-38f, 1.0000001f};
  while (values.size() < 200000) {
    const float v = std::bit_cast<float>(static_cast<std::uint32_t>(random()));
    if (std::isfinite(v)) values.push_back(v);
  }
  const std::string text = write_with(4096, [&](JsonWriter& w) { w.numbers(values.data(), values.size()); });

  std::size_t mismatches = 0, longer = 0;
  const char* at = text.data() + 1;  // past '['
  for (float v : values) {
    const char* end = at;
    while (*end != ',' && *end != ']') ++end;
    float direct = 0;
    std::from_chars(at, end, direct);
    const float via_double = static_cast<float>(std::strtod(std::string(at, end).c_str(), nullptr));
    mismatches += std::bit_cast<std::uint32_t>(direct) != std::bit_cast<std::uint32_t>(v);
    mismatches += std::bit_cast<std::uint32_t>(via_double) != std::bit_cast<std::uint32_t>(v);
    // Shortest: no longer than the shortest scientific form, whose digits cannot be cut by one (the
    // nearest number with one significant digit fewer reads back as another float). Large whole numbers
    // come out in fixed notation, exact, where that is the shorter text.
    char scientific[64];
    const char* scientific_end = std::to_chars(scientific, scientific + sizeof scientific, v,
                                               std::chars_format::scientific).ptr;
    longer += end - at > scientific_end - scientific;
    const auto digits = std::count_if(static_cast<const char*>(scientific), std::find(static_cast<const char*>(scientific), scientific_end, 'e'),
                                      [](char c) { return c >= '0' && c <= '9'; });
    if (digits > 1) {
      char shorter[64];
      const auto r = std::to_chars(shorter, shorter + sizeof shorter, v, std::chars_format::scientific,
                                   static_cast<int>(digits) - 2);
      float back = 0;
      std::from_chars(shorter, r.ptr, back);
      longer += back == v;
    }
    at = end + 1;
  }
  EXPECT_EQ(mismatches, 0u);
  EXPECT_EQ(longer, 0u);
}

// The fast float path beside its plain reference: the same characters as std::to_chars, on every
// power of two, on the neighbours of every power of ten, and on 300,000 random bit patterns. The next
// test compares every float; it takes minutes, so it runs only when asked for.
TEST(JsonWriter, ShortestFloatIsWhatToCharsWrites) {
  std::vector<float> values;
  for (int e = -149; e <= 127; ++e) values.push_back(std::ldexp(1.0f, e));
  for (int e = -45; e <= 38; ++e) {
    const float p = std::strtof(("1e" + std::to_string(e)).c_str(), nullptr);
    values.insert(values.end(), {p, std::nextafter(p, 0.0f), std::nextafter(p, std::numeric_limits<float>::infinity())});
  }
  values.insert(values.end(), {std::numeric_limits<float>::max(), std::numeric_limits<float>::denorm_min(),
                               16777216.0f, 16777218.0f, 99999997952.0f, 123456.79f, 1e14f, 1e15f});
  std::mt19937 random(7);
  while (values.size() < 300000) {
    const float v = std::bit_cast<float>(static_cast<std::uint32_t>(random()));
    if (std::isfinite(v) && v != 0.0f) values.push_back(v);
  }
  std::size_t differ = 0;
  std::string first_difference;
  for (float v : values) {
    if (v == 0.0f) continue;  // the writer's own case: "0" and "-0.0"
    for (float signed_v : {v, -v}) {
      char reference[64], fast[64];
      const std::string_view want(reference, static_cast<std::size_t>(
                                                 std::to_chars(reference, reference + sizeof reference, signed_v).ptr -
                                                 reference));
      const std::string_view got(fast, static_cast<std::size_t>(write_shortest_float(fast, signed_v) - fast));
      if (got != want && differ++ == 0) first_difference = std::string(got) + " where to_chars writes " + std::string(want);
    }
  }
  EXPECT_EQ(differ, 0u) << first_difference;
}

// Every finite nonzero float (4,278,190,078 bit patterns; zero, NaN and infinities are the writer's own
// cases). Passed when the fast path was written. Run it with
//   maskviz_tests --gtest_also_run_disabled_tests --gtest_filter='*EveryFloat*'
TEST(JsonWriter, DISABLED_ShortestFloatIsWhatToCharsWritesForEveryFloat) {
  std::uint64_t differ = 0;
  std::string first_difference;
  for (std::uint64_t bits = 0; bits < (std::uint64_t{1} << 32); ++bits) {
    const float v = std::bit_cast<float>(static_cast<std::uint32_t>(bits));
    if (!std::isfinite(v) || v == 0.0f) continue;
    char reference[64], fast[64];
    const char* reference_end = std::to_chars(reference, reference + sizeof reference, v).ptr;
    const char* fast_end = write_shortest_float(fast, v);
    if (std::string_view(reference, static_cast<std::size_t>(reference_end - reference)) !=
            std::string_view(fast, static_cast<std::size_t>(fast_end - fast)) &&
        differ++ == 0)
      first_difference = "bits " + std::to_string(bits);
  }
  EXPECT_EQ(differ, 0u) << first_difference;
}

// A small buffer flushes many times, and strings longer than the buffer go straight through:
// the text must not depend on where the flushes fall.
TEST(JsonWriter, OutputDoesNotDependOnTheBufferSize) {
  const std::string long_name(5000, 'x');
  const auto body = [&](JsonWriter& w) {
    w.begin_array();
    for (int i = 0; i < 300; ++i) {
      const float row[3] = {static_cast<float>(i) / 7.0f, -static_cast<float>(i), 1e-30f * static_cast<float>(i)};
      w.numbers(row, 3);
      w.string(i % 50 == 0 ? long_name : "s\"\xC3\xA9\n");
    }
    w.end_array();
  };
  const std::string large = write_with(JsonWriter::default_buffer_bytes, body);
  EXPECT_EQ(write_with(1, body), large);
  EXPECT_EQ(write_with(200, body), large);
  EXPECT_EQ(Json::parse(large).size(), 600u);
}

}  // namespace
}  // namespace maskviz
