// Models with branches: what each layer reads, and the order Keras' Functional model runs the layers.
//
// A node is a model input or a layer. A layer without "inputs" reads the layer before it (or the
// model input, for the first layer), as in a Sequential model.
#pragma once

#include <string>
#include <vector>

#include "scenario/json_fields.h"

namespace maskviz {

struct NodeRef {
  bool model_input = false;
  std::size_t index = 0;  // into Scenario::inputs or Scenario::layers
  bool operator==(const NodeRef&) const = default;
};

// How a layer type takes its inputs in Keras.
enum class InputForm {
  single,        // layer(x)
  merge_list,    // Add()([a, b, ...]), Concatenate()([a, b, ...]): two or more
  attention,     // Attention()([query, value(, key)])
  query_value,   // MultiHeadAttention()(query, value(, key)), written {"query", "value", "key"?}
};
InputForm input_form(std::string_view type);

struct LayerWiring {
  std::vector<NodeRef> sources;        // in call order
  std::vector<std::string> names;      // the names read, as written ("input" for the model input)
  std::vector<std::string> roles;      // query, value, key; empty strings otherwise
  std::vector<std::string> pointers;   // JSON pointer of each name, for errors
};

// A model input's name -> its index; each layer's name -> its index, for the layers before it.
struct NameTable {
  std::vector<std::string> inputs;  // model inputs, "input" when there is one unnamed input
  std::vector<std::string> layers;  // layers read so far, in file order
};

// `all_names`: every layer name the file gives, to tell a forward reference from a typo.
// Reads layer `index`'s "inputs" (at `pointer`, may be absent), checks every name and the form the
// layer type takes. Throws ScenarioError naming the pointer: an unknown name, a layer read before it is
// defined (or by itself), a wrong form or count.
LayerWiring read_wiring(const Json* inputs, const std::string& pointer, std::string_view type, std::size_t index,
                        const NameTable& names, const std::vector<std::string>& all_names);

// Every layer but the last must be read by a later one, and every model input by some layer.
// `layer_names` and `layer_pointers` in file order. Throws ScenarioError at the dangling layer.
void check_dangling(const std::vector<LayerWiring>& wiring, std::size_t model_inputs,
                    const std::vector<std::string>& input_pointers, const std::vector<std::string>& layer_pointers,
                    const std::vector<std::string>& layer_names);

// Keras' Functional order (keras/src/ops/function.py v3.15.1): _build_map walks the graph depth first
// from the output (inputs in call order) and lists nodes in post-order; map_graph gives the output
// depth 0 and each parent max(depth + 1, its depth), visiting nodes from the output back, and groups
// them by depth in the order it first met them; _run_through_graph runs depth by depth, deepest first.
std::vector<std::size_t> execution_order(const std::vector<LayerWiring>& wiring);

}  // namespace maskviz
