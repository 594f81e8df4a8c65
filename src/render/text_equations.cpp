#include "render/text_equations.h"

#include <fmt/format.h>


namespace maskviz {


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

std::string product_label(const Product& product, const Style& style) {
  std::string lhs = style.text(product.lhs_name);
  if (lhs.find(' ') != std::string::npos) lhs = "(" + lhs + ")";  // "(r ⊙ h_{t-1}) · U[:, 2u:]"
  return fmt::format("{} {} {}{}", lhs, style.dot(), weight_symbol(product.rhs_name), product.rhs_part);
}

std::string gated_term_label(const GatedTerm& term, const Style& style) {
  std::string operand = style.text(term.operand_name);
  if (operand.find(' ') != std::string::npos) operand = "(" + operand + ")";
  return style.text(fmt::format("{} ⊙ {}", term.gate, operand));
}

}  // namespace maskviz
