#include "render/text_equations.h"

#include <fmt/format.h>

#include <cctype>

namespace maskviz {

namespace {

std::string config_string(const LayerRecord& layer, const char* key, const char* fallback) {
  const auto it = layer.config.find(key);
  return it != layer.config.end() && it->is_string() ? it->get<std::string>() : fallback;
}

bool config_flag(const LayerRecord& layer, const char* key, bool fallback) {
  const auto it = layer.config.find(key);
  return it != layer.config.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

}  // namespace

std::string activation_symbol(const std::string& name, const Style& style) {
  if (name == "sigmoid") return style.ascii() ? "sigmoid" : "σ";
  return name;
}

std::string weight_symbol(std::string_view name) {
  if (name == "kernel") return "W";
  if (name == "recurrent_kernel") return "U";
  if (name == "bias") return "b";
  if (name == "input_bias") return "b_x";
  if (name == "recurrent_bias") return "b_h";
  return std::string(name);
}

Equations equations_for(const LayerRecord& layer, const Style& s) {
  Equations eq;
  const std::string act = activation_symbol(config_string(layer, "activation", "tanh"), s);
  const std::string rec = activation_symbol(config_string(layer, "recurrent_activation", "sigmoid"), s);
  const bool bias = config_flag(layer, "use_bias", true);
  const std::string dot = s.dot(), odot = s.odot();
  const std::string plus_b = bias ? " + b" : "";
  if (layer.type == "LSTM") {
    eq.additive = true;
    eq.lines = {fmt::format("z = x_t {} W + h_{{t-1}} {} U{}      gate blocks i, f, c~, o", dot, dot, plus_b),
                fmt::format("i = {0}(z_i)   f = {0}(z_f)   c~ = {1}(z_c~)   o = {0}(z_o)", rec, act),
                fmt::format("c = f {0} c_{{t-1}} + i {0} c~", odot),
                fmt::format("h = o {} {}(c)      output = h", odot, act)};
    eq.states = {{"c", fmt::format("f {0} c_{{t-1}} + i {0} c~", odot)}, {"h", fmt::format("o {} {}(c)", odot, act)}};
  } else if (layer.type == "SimpleRNN") {
    eq.additive = true;
    eq.lines = {fmt::format("z = x_t {} W + h_{{t-1}} {} U{}", dot, dot, plus_b),
                fmt::format("h = h~ = {}(z)      output = h", act)};
    eq.states = {{"h", "h~"}};
  } else if (layer.type == "GRU") {
    const std::string h_state = fmt::format("z {0} h_{{t-1}} + (1 - z) {0} h~", odot);
    if (config_flag(layer, "reset_after", true)) {
      eq.lines = {fmt::format("[x_z, x_r, x_h] = x_t {} W{}", dot, bias ? " + b_x      (b_x = bias[0])" : ""),
                  fmt::format("[h_z, h_r, h_h] = h_{{t-1}} {} U{}", dot, bias ? " + b_h      (b_h = bias[1])" : ""),
                  fmt::format("z = {0}(x_z + h_z)   r = {0}(x_r + h_r)   h~ = {1}(x_h + r {2} h_h)", rec, act, odot),
                  fmt::format("h = {}      output = h", h_state)};
    } else {
      eq.lines = {fmt::format("[x_z, x_r, x_h] = x_t {} W{}", dot, plus_b),
                  fmt::format("[h_z, h_r] = h_{{t-1}} {} U[:, :2u]", dot),
                  fmt::format("z = {0}(x_z + h_z)   r = {0}(x_r + h_r)   h~ = {1}(x_h + (r {2} h_{{t-1}}) {3} U[:, 2u:])",
                              rec, act, odot, dot),
                  fmt::format("h = {}      output = h", h_state)};
    }
    eq.states = {{"h", h_state}};
  } else if (layer.type == "Dense") {
    const std::string linear = fmt::format("x {} W{}", dot, plus_b);
    eq.lines = {act == "linear" ? fmt::format("y = {}", linear) : fmt::format("y = {}({})", act, linear)};
    eq.additive = true;
  }
  return eq;
}

std::string product_label(const Product& product, const LayerRecord&, const Style& style) {
  std::string lhs = style.text(product.lhs_name);
  if (lhs.find(' ') != std::string::npos) lhs = "(" + lhs + ")";  // "(r ⊙ h_{t-1}) · U[:, 2u:]"
  return fmt::format("{} {} {}{}", lhs, style.dot(), weight_symbol(product.rhs_name), product.rhs_part);
}

std::size_t product_offset(const Product& product, std::size_t units) {
  const std::string& part = product.rhs_part;  // "", "[:, :2u]", "[:, 2u:]"
  const std::string head = "[:, ";
  if (part.compare(0, head.size(), head) != 0 || part.size() <= head.size()) return 0;
  std::size_t i = head.size();
  if (!std::isdigit(static_cast<unsigned char>(part[i]))) return 0;
  std::size_t blocks = 0;
  while (i < part.size() && std::isdigit(static_cast<unsigned char>(part[i]))) blocks = blocks * 10 + (part[i++] - '0');
  return part.compare(i, 2, "u:") == 0 ? blocks * units : 0;
}

}  // namespace maskviz
