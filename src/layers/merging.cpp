// Add and Concatenate (keras/src/layers/merging/), called on a list of tensors [B, T, F_i].
//   Add:         y = x_1 + x_2 + ...   (every input of one shape)
//                mask = None if any input has no mask, else OR of the masks (base_merge.py l.255-277)
//   Concatenate: y = [x_1, x_2, ...] along the last axis
//                mask = None if no input has a mask, else OR, an unmasked input counting as all True
//                (concatenate.py compute_mask: any() over the concatenated masks)
// Neither reads the masks to compute values: a padded step is added or concatenated like any other.
#include <fmt/format.h>

#include "core/errors.h"
#include "layers/backward.h"
#include "layers/layer.h"
#include "scenario/json_fields.h"

namespace maskviz {

namespace {

class MergeLayer : public Layer {
 public:
  MergeLayer(std::string type, LayerSite& site) : Layer(std::move(type), site.name, site.input_shape) {
    inputs_ = site.input_shapes.size();
  }
  bool supports_masking() const override { return true; }
  MaskAction mask_action(bool arrives, RunMode) const override { return arrives ? MaskAction::merged : MaskAction::none; }
  bool has_backward() const override { return true; }

 protected:
  // OR of the masks that are there, or none; `any_missing_means_none` for Add.
  static OptMask merge_masks(const std::vector<OptMask>& masks, bool any_missing_means_none) {
    OptMask out;
    for (const auto& m : masks) {
      if (!m) {
        if (any_missing_means_none) return std::nullopt;
        continue;
      }
      if (!out) out = *m;
      else
        for (std::size_t i = 0; i < out->keep.size(); ++i) out->keep[i] = out->keep[i] | m->keep[i];
    }
    return out;
  }
  std::size_t inputs_ = 0;
};

class AddLayer final : public MergeLayer {
 public:
  explicit AddLayer(LayerSite& site) : MergeLayer("Add", site) {
    for (std::size_t i = 1; i < site.input_shapes.size(); ++i)
      if (site.input_shapes[i] != site.input_shapes[0])
        throw ScenarioError(pointer_append(site.fields.pointer_of("inputs"), i),
                            fmt::format("Add cannot add shapes {} and {}; expected every input of one shape",
                                        shape_text(site.input_shapes[0]), shape_text(site.input_shapes[i])));
    output_shape_ = input_shape_;
  }
  MaskUse mask_use() const override { return {"", "None if any input has no mask, else the OR of the masks", "", ""}; }
  bool merged_mask_present(const std::vector<bool>& present) const override {
    return std::find(present.begin(), present.end(), false) == present.end();
  }
  Json config() const override { return Json::object(); }
  void forward(const ForwardArgs& args, ForwardResult& result, LayerRecord& record) const override {
    result.output = *args.inputs[0];
    for (std::size_t i = 1; i < args.inputs.size(); ++i)
      for (std::size_t k = 0; k < result.output.size(); ++k) result.output.values[k] += args.inputs[i]->values[k];
    result.mask = merge_masks(args.input_masks, true);
    const bool some = std::any_of(args.input_masks.begin(), args.input_masks.end(), [](const OptMask& m) { return m.has_value(); });
    if (some && !result.mask)
      record.notes.push_back("Add's output has no mask: one of its inputs carries none (Merge.compute_mask returns None "
                             "then). After a MultiHeadAttention that read the same tensor, this is the residual "
                             "gotcha: MultiHeadAttention cleared that tensor's mask in place (multi_head_attention.py "
                             "l.629-631), so the loss below is unmasked.");
    record.payload.emplace<Merge>(Merge{"None if any input has no mask, else OR"});
  }
  void backward(const BackwardArgs& args, BackwardResult& result) const override { add_backward(args, result); }
};

class ConcatenateLayer final : public MergeLayer {
 public:
  explicit ConcatenateLayer(LayerSite& site) : MergeLayer("Concatenate", site) {
    const long long axis = site.fields.integer("axis", -1, -1, 8);
    if (axis != -1 && axis != static_cast<long long>(input_shape_.size()) - 1)
      throw ScenarioError(site.fields.pointer_of("axis"), "maskviz concatenates along the last axis only; expected "
                                                          "axis -1");
    output_shape_ = input_shape_;
    output_shape_.back() = 0;
    for (std::size_t i = 0; i < site.input_shapes.size(); ++i) {
      const Shape& s = site.input_shapes[i];
      if (s.size() != input_shape_.size() || !std::equal(s.begin(), s.end() - 1, input_shape_.begin()))
        throw ScenarioError(pointer_append(site.fields.pointer_of("inputs"), i),
                            fmt::format("Concatenate cannot join shapes {} and {} on the last axis; expected the "
                                        "same shape but for the last axis", shape_text(input_shape_), shape_text(s)));
      output_shape_.back() += s.back();
    }
  }
  MaskUse mask_use() const override {
    return {"", "the OR of the masks, an input without one counting as all True; None if none has a mask", "", ""};
  }
  Json config() const override { return {{"axis", -1}}; }
  void forward(const ForwardArgs& args, ForwardResult& result, LayerRecord& record) const override {
    result.output = Tensor(output_shape_);
    const std::size_t rows = result.output.size() / output_shape_.back();
    for (std::size_t r = 0; r < rows; ++r) {
      float* y = result.output.row(r);
      for (const Tensor* x : args.inputs) y = std::copy(x->row(r), x->row(r) + x->row_length(), y);
    }
    const bool some = std::any_of(args.input_masks.begin(), args.input_masks.end(), [](const OptMask& m) { return m.has_value(); });
    const bool all = std::all_of(args.input_masks.begin(), args.input_masks.end(), [](const OptMask& m) { return m.has_value(); });
    if (some && !all) {
      const Shape& s = args.input.shape;
      result.mask = Mask(s[0], s[1], true);  // an unmasked input counts as all True
    } else {
      result.mask = merge_masks(args.input_masks, false);
    }
    record.payload.emplace<Merge>(Merge{"OR of the masks (an input without one counts as all True)"});
  }
  void backward(const BackwardArgs& args, BackwardResult& result) const override {
    concatenate_backward(args, result);
  }
};

}  // namespace

std::unique_ptr<Layer> make_add(LayerSite& site) { return std::make_unique<AddLayer>(site); }
std::unique_ptr<Layer> make_concatenate(LayerSite& site) { return std::make_unique<ConcatenateLayer>(site); }

}  // namespace maskviz
