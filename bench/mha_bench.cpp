// A masked MultiHeadAttention forward beside the plain Eigen GEMM of its projections, measured in the
// same run (the contract: ../shared/spec/attention-and-graphs.md, "Performance": at least 60%).
//
// Shapes (B batch, T query steps, S key steps, D features, N heads, H key_dim):
// B = 8, T = S = 256, D = 256, N = 8, H = 32, self-attention over Embedding(mask_zero) with right padding
// (lengths drawn from [T/2, T]), so the combined mask is query AND value mask, fused path.
//   FLOPs = 2·B·T·D·N·H·3 (q, k, v) + 2·B·N·T·S·H (scores) + 2·B·N·T·S·H (weighted sum) + 2·B·T·N·H·D (output)
//   GEMM:   [B·T, D] · [D, N·H] = [2048, 256] · [256, 256], the shape of each projection
// Recording: the layer's forward alone, at Detail::outputs, where MultiHeadAttention keeps no [B, N, T, S]
// map (as a recurrent layer keeps no steps there; `--detail outputs` asks for it, as lstm_bench measures) and each
// (sequence, head) block of scores and weights goes through one reused [T, S] scratch; at steps and full
// the maps are recorded and exported.
// Rates are FLOPs over CPU time (the machine is shared); the FLOPs count only the products above, the full
// T×S of scores and weighted sum being computed, masked cells included; softmax and masks count nothing.
//
// Measured on the idle 2-core AMD EPYC (AVX-512), each a median of 3 repetitions, GEMM 84-89 GFLOP/s:
//   maps recorded at every detail (main before this change):  36% of the GEMM rate (31.3 GFLOP/s)
//   no map at Detail::outputs:                                60%, 61%, 62%, 63%, 65% (53-56 GFLOP/s)
// Where the time went before: each call wrote 42 MB of fresh memory (scores and weights 16 MB each, Q, K,
// V, context and output 2 MB each), and about 30-40% of the layer's time was the kernel faulting it in.
// Blocking by (sequence, head) so that scores, softmax and P·V share the cache (an earlier change) took
// the loaded-machine figure from 33-39% to 35-46%; keeping no map at outputs removes 32 of the 42 MB.
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
