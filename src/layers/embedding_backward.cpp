// Backward of Embedding (embedding.cpp): out[b, t] = embeddings[token[b, t]], so each lookup adds its
// output gradient to its row (a scatter-add; TensorFlow's IndexedSlices, densified):
//   dembeddings[v] = Σ_{(b,t): token[b,t] = v} dy[b, t]
// A row nobody looked up gets exactly 0; so does row 0 under mask_zero when every path from its lookups
// to the loss is masked (then each of its dy[b, t] is 0). The token ids have no gradient.
#include "layers/backward.h"

namespace maskviz {

void embedding_backward(const BackwardArgs& args, const Tensor& table, bool marks_zero, BackwardResult& result) {
  const std::size_t B = args.input.dim(0), T = args.input.dim(1), F = table.row_length();
  Tensor dtable(table.shape);  // [V, F]
  for (std::size_t b = 0; b < B; ++b) {
    for (std::size_t t = 0; t < T; ++t) {
      const auto token = static_cast<std::size_t>(args.input.values[b * T + t]);
      const float* dy = args.d_output.row(b * T + t);  // [F]
      float* row = dtable.row(token);
      for (std::size_t f = 0; f < F; ++f) row[f] += dy[f];
      if (args.record_steps)
        result.grad.lookups.push_back({b, t, static_cast<long long>(token), marks_zero && token == 0,
                                       Tensor({F}, std::vector<float>(dy, dy + F))});
    }
  }
  result.grad.weights.push_back({"embeddings", std::move(dtable)});
  result.grad.kind = LayerGradient::Kind::lookup_table;
}

}  // namespace maskviz
