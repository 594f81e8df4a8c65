// A masked MultiHeadAttention forward beside the plain Eigen GEMM of its projections, measured in the
// same run (the contract: ../shared/spec/attention-and-graphs.md, "Performance": at least 60%).
//
// Shapes (B batch, T query steps, S key steps, D features, N heads, H key_dim):
// B = 8, T = S = 256, D = 256, N = 8, H = 32, self-attention over Embedding(mask_zero) with right padding
// (lengths drawn from [T/2, T]), so the combined mask is query AND value mask, fused path.
//   FLOPs = 2·B·T·D·N·H·3 (q, k, v) + 2·B·N·T·S·H (scores) + 2·B·N·T·S·H (weighted sum) + 2·B·T·N·H·D (output)
//   GEMM:   [B·T, D] · [D, N·H] = [2048, 256] · [256, 256], the shape of each projection
// Recording: the layer's forward alone, at Detail::outputs (the record still keeps scores and weights:
// they are what the layer shows, and what export writes at every detail).
// Rates are FLOPs over CPU time (the machine is shared); the FLOPs count only the products above, the full
// T×S of scores and weighted sum being computed, masked cells included; softmax and masks count nothing.
//
// Measured (AMD EPYC, AVX-512, 2 cores shared with four other builds: load average 6-20; medians of 3,
// before and after run alternately; the GEMM's own rate swings 59-79 GFLOP/s with the load):
//   before (main 33c5b0b): 33%, 35%, 35%, 35%, 35%, 35%, 37%, 39% of the GEMM rate (22-25 GFLOP/s)
//   after (one (b, n) block at a time: scores, softmax, P·V while the block is in cache):
//                          35%, 35%, 35%, 36%, 39%, 40%, 41%, 46% (23-28 GFLOP/s)
//   The goal is not met: about 30-40% of the layer's time is the kernel's, zeroing and mapping the 42 MB
//   of fresh memory each call writes (scores and weights 16 MB each, Q, K, V, context, output 2 MB each):
//   glibc returns it to the system at free() and the next call faults it in again, 4 kB at a time. The
//   same binaries, with the memory kept by the allocator instead
//   (GLIBC_TUNABLES=glibc.malloc.trim_threshold=1073741824:glibc.malloc.mmap_threshold=1073741824):
//   before 59% and 62%, after 67% and 67%. A `run` pays these faults too (both runs keep their records), so the default
//   is the figure above; madvise(MADV_HUGEPAGE) on the maps was tried and the kernel here gave no huge page.
#include <benchmark/benchmark.h>

#include <fmt/format.h>

#include <cstdio>
#include <map>
#include <random>
#include <string>

#include "core/eigen.h"
#include "engine/engine.h"
#include "scenario/scenario.h"

namespace maskviz {
namespace {

constexpr std::size_t B = 8, T = 256, D = 256, N = 8, H = 32;

const Scenario& scenario() {
  static const Scenario s = [] {
    std::mt19937 rng(13);
    std::string tokens = "[";
    for (std::size_t b = 0; b < B; ++b) {
      const std::size_t length = T / 2 + rng() % (T / 2 + 1);
      tokens += b ? ",[" : "[";
      for (std::size_t t = 0; t < T; ++t) tokens += fmt::format("{}{}", t ? "," : "", t < length ? 1 + rng() % 99 : 0);
      tokens += "]";
    }
    tokens += "]";
    const std::string text = fmt::format(
        R"({{"seed": 5, "input": {{"tokens": {}}}, "layers": [
          {{"type": "Embedding", "name": "emb", "input_dim": 100, "output_dim": {}, "mask_zero": true}},
          {{"type": "MultiHeadAttention", "num_heads": {}, "key_dim": {}, "inputs": {{"query": "emb", "value": "emb"}}}}]}})",
        tokens, D, N, H);
    LoadOptions options;
    options.max_memory_bytes = std::size_t{4} << 30;
    options.detail = Detail::outputs;
    return load_scenario(text, "mha_bench", options);
  }();
  return s;
}

void BM_MaskedMultiHeadAttentionForward(benchmark::State& state) {
  const Scenario& s = scenario();
  const RunRecord first = run_model(s, RunMode::masked, Detail::outputs);
  const Tensor& x = first.layers[0].output;        // [B, T, D]
  const OptMask& mask = first.layers[0].output_mask;  // [B, T]
  const Layer& mha = *s.layers[1];
  for (auto _ : state) {
    ForwardArgs args{x, mask, nullptr, RunMode::masked, Detail::outputs};
    args.inputs = {&x, &x};
    args.input_masks = {mask, mask};
    ForwardResult result;
    LayerRecord record;
    mha.forward(args, result, record);
    benchmark::DoNotOptimize(result.output.values.data());
  }
  const double flops = 2.0 * B * T * D * N * H * 3 + 2.0 * 2.0 * B * N * T * T * H + 2.0 * B * T * N * H * D;
  state.counters["gflops"] = benchmark::Counter(flops / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_GemmProjectionShape(benchmark::State& state) {
  Mat a = Mat::Random(static_cast<Eigen::Index>(B * T), static_cast<Eigen::Index>(D));
  Mat w = Mat::Random(static_cast<Eigen::Index>(D), static_cast<Eigen::Index>(N * H));
  Mat y(a.rows(), w.cols());
  for (auto _ : state) {
    y.noalias() = a * w;
    benchmark::DoNotOptimize(y.data());
  }
  const double flops = 2.0 * B * T * D * N * H;
  state.counters["gflops"] = benchmark::Counter(flops / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK(BM_GemmProjectionShape)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MaskedMultiHeadAttentionForward)->Unit(benchmark::kMillisecond);

// Prints the usual table, then the attention's rate as a share of the GEMM's from this same run.
class ShareReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& run : runs) {
      const auto it = run.counters.find("gflops");
      if (it != run.counters.end() && run.run_type == Run::RT_Iteration) rates_[run.run_name.function_name] = it->second;
    }
    ConsoleReporter::ReportRuns(runs);
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    const double g = rates_["BM_GemmProjectionShape"], m = rates_["BM_MaskedMultiHeadAttentionForward"];
    if (g > 0 && m > 0)
      std::printf("masked MultiHeadAttention at %.0f%% of the GEMM rate (%.1f vs %.1f GFLOP/s; goal: 60%%)\n",
                  100.0 * m / g, m, g);
  }

 private:
  std::map<std::string, double> rates_;
};

}  // namespace
}  // namespace maskviz

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  maskviz::ShareReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
