// The masked LSTM forward, and forward + backward, beside the two plain Eigen GEMMs they are built from,
// measured in the same run.
//
// Shapes (B batch, T time, D inputs, H units): B = 32, T = 128, D = 64, H = 128.
//   masked LSTM:     FLOPs = 2·B·T·(D + H)·4H   (the input GEMM, hoisted, plus one recurrent GEMM per step)
//   forward+backward FLOPs = 3 × the forward's (the backward counted as twice the forward, as the
//                    contract says): one RnnLayer::backward call, which recomputes the forward it needs
//                    and returns dx and every weight gradient (rnn_backward.cpp)
//   recurrent GEMM:  [B, H] · [H, 4H]           = [32, 128] · [128, 512], what every step multiplies
//   input GEMM:      [B·T, D] · [D, 4H]         = [4096, 64] · [64, 512], done once for all steps
// Every benchmark reports a `gflops` rate; at the end the LSTM's rate is printed as a share of each
// GEMM's rate from this same run, so a busy machine slows both sides alike.
//
// Recording is at its lightest level (Detail::outputs) and the RNN layer's forward is timed alone: no
// JSON, no weight drawing, no renderer.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <string>

#include "core/eigen.h"
#include "init/initializers.h"
#include "layers/rnn.h"

namespace maskviz {
namespace {

constexpr std::size_t B = 32, T = 128, D = 64, H = 128;

Tensor random_tensor(Shape shape, std::uint64_t key) {
  Tensor t(std::move(shape));
  Rng rng(key);
  for (float& v : t.values) v = 2.0f * rng.uniform01() - 1.0f;
  return t;
}

// Right padding with lengths drawn from [T/2, T]: every sequence has trailing padding or none, as a
// padded batch of sentences does.
Mask random_right_padding(std::uint64_t key) {
  Mask mask(B, T);
  Rng rng(key);
  for (std::size_t b = 0; b < B; ++b) {
    const std::size_t length = T / 2 + static_cast<std::size_t>(rng.uniform01() * (T / 2 + 1));
    for (std::size_t t = length; t < T; ++t) mask.set(b, t, false);
  }
  return mask;
}

void lstm_forward(benchmark::State& state, bool masked) {
  RnnConfig config;
  config.type = "LSTM";
  config.units = H;
  config.return_sequences = true;
  RnnLayer layer("lstm", {B, T, D}, config);
  layer.load_weights(nullptr, "/layers/0/weights", 7, 0);  // glorot / orthogonal / forget bias 1
  const Tensor x = random_tensor({B, T, D}, 11);             // [B, T, D]
  const OptMask mask = masked ? OptMask(random_right_padding(13)) : std::nullopt;
  const ForwardArgs args{x, mask, nullptr, masked ? RunMode::masked : RunMode::unmasked, Detail::outputs};
  for (auto _ : state) {
    ForwardResult result;
    LayerRecord record;
    layer.forward(args, result, record);
    benchmark::DoNotOptimize(result.output.values.data());
    benchmark::ClobberMemory();
  }
  const double flops = 2.0 * B * T * (D + H) * 4 * H;
  state.counters["gflops"] = benchmark::Counter(flops / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

void lstm_forward_backward(benchmark::State& state) {
  RnnConfig config;
  config.type = "LSTM";
  config.units = H;
  config.return_sequences = true;
  RnnLayer layer("lstm", {B, T, D}, config);
  layer.load_weights(nullptr, "/layers/0/weights", 7, 0);
  const Tensor x = random_tensor({B, T, D}, 11);   // [B, T, D]
  const Tensor dy = random_tensor({B, T, H}, 23);  // [B, T, H] ∂loss/∂output
  const OptMask mask = random_right_padding(13);
  const BackwardArgs args{x, mask, dy, nullptr, RunMode::masked, false};
  for (auto _ : state) {
    BackwardResult result;
    layer.backward(args, result);
    benchmark::DoNotOptimize(result.d_input.values.data());
    benchmark::ClobberMemory();
  }
  const double flops = 3.0 * 2.0 * B * T * (D + H) * 4 * H;
  state.counters["gflops"] = benchmark::Counter(flops / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

void gemm(benchmark::State& state, Eigen::Index rows, Eigen::Index inner, Eigen::Index cols) {
  Tensor a = random_tensor({static_cast<std::size_t>(rows), static_cast<std::size_t>(inner)}, 17);
  Tensor b = random_tensor({static_cast<std::size_t>(inner), static_cast<std::size_t>(cols)}, 19);
  Mat c(rows, cols);
  for (auto _ : state) {
    c.noalias() = as_matrix(a) * as_matrix(b);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  const double flops = 2.0 * static_cast<double>(rows) * static_cast<double>(inner) * static_cast<double>(cols);
  state.counters["gflops"] = benchmark::Counter(flops / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_MaskedLstmForward(benchmark::State& state) { lstm_forward(state, true); }
void BM_UnmaskedLstmForward(benchmark::State& state) { lstm_forward(state, false); }
void BM_MaskedLstmForwardBackward(benchmark::State& state) { lstm_forward_backward(state); }
void BM_GemmRecurrentShape(benchmark::State& state) { gemm(state, B, H, 4 * H); }
void BM_GemmInputShape(benchmark::State& state) { gemm(state, B * T, D, 4 * H); }

BENCHMARK(BM_GemmRecurrentShape)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_GemmInputShape)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MaskedLstmForward)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_UnmaskedLstmForward)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MaskedLstmForwardBackward)->Unit(benchmark::kMillisecond);

// Prints the usual table, keeps every gflops rate, and ends with the masked LSTM's share of each GEMM.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    // One rate per benchmark: the single run, or the median when repetitions are asked for.
    for (const Run& run : runs) {
      const auto it = run.counters.find("gflops");
      const bool usable = run.run_type == Run::RT_Iteration || run.aggregate_name == "median";
      if (it != run.counters.end() && usable) rates_[run.run_name.function_name] = it->second;
    }
    ConsoleReporter::ReportRuns(runs);
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    for (const auto& [name, what] : {std::pair{"BM_MaskedLstmForward", "masked LSTM forward"},
                                     std::pair{"BM_MaskedLstmForwardBackward", "masked LSTM forward+backward"}}) {
      const double lstm = rate(name);
      for (const char* gemm_name : {"BM_GemmRecurrentShape", "BM_GemmInputShape"}) {
        const double g = rate(gemm_name);
        if (lstm > 0 && g > 0)
          std::printf("%s at %.0f%% of %s (%.1f vs %.1f GFLOP/s)\n", what, 100.0 * lstm / g, gemm_name, lstm, g);
      }
    }
  }

 private:
  double rate(const std::string& name) const {
    const auto it = rates_.find(name);
    return it == rates_.end() ? 0.0 : it->second;
  }
  std::map<std::string, double> rates_;
};

}  // namespace
}  // namespace maskviz

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  maskviz::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
