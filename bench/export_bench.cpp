// `maskviz export` of a large scenario: the streaming writer beside nlohmann::json::dump() of the same
// trace, measured in the same run.
//
// Scenario: input values [B, T, D] = [32, 128, 64] with right padding (lengths drawn from [T/2, T]),
// Masking -> LSTM(H = 128, return_sequences), both runs, Detail::full: every step keeps its input,
// products, biases, gates and states, about 3,800 floats, 8,192 steps in all.
//
// What is reported, per benchmark:
//   bytes_per_second  the JSON text produced, per second (into a sink that only counts)
//   peak_vs_numbers   (heap held by the record + the extra heap the export needed at its peak)
//                     / (bytes of the record's numbers), from a counting operator new
//   extra_MB          that extra heap: the writer's buffer; for nlohmann, its document and the string
// Goal: streaming at least 3x the bytes per second of dump(), and peak_vs_numbers under 1.5.
//
// nlohmann's document is built outside the timed loop by parsing maskviz's own export, so it is the same
// trace, and its doubles print the same short digits (a document filled from floats directly would print
// 17 digits per number: 0.1f -> 0.10000000149011612, a longer file). `build_s` says how long building it
// took, which an exporter through nlohmann pays on top of dump().
//
// Times are CPU time of the writing thread: the machine is shared, and wall time would charge the
// writers for other processes' work.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <sys/resource.h>

#include <atomic>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <random>
#include <sstream>
#include <streambuf>
#include <string>

#include "../tests/record_access.h"
#include "engine/engine.h"
#include "render/render.h"
#include "scenario/scenario.h"

// --- Heap accounting: every operator new and delete of the process, by the allocator's usable size. ---
namespace {
std::atomic<std::size_t> heap_now{0}, heap_peak{0};

void* counted_alloc(std::size_t size) {
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  const std::size_t now = heap_now.fetch_add(malloc_usable_size(p)) + malloc_usable_size(p);
  std::size_t peak = heap_peak.load();
  while (now > peak && !heap_peak.compare_exchange_weak(peak, now)) {
  }
  return p;
}

void counted_free(void* p) noexcept {
  if (p == nullptr) return;
  heap_now.fetch_sub(malloc_usable_size(p));
  std::free(p);
}
}  // namespace

void* operator new(std::size_t size) { return counted_alloc(size); }
void* operator new[](std::size_t size) { return counted_alloc(size); }
void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_free(p); }

namespace maskviz {
namespace {

constexpr std::size_t B = 32, T = 128, D = 64, H = 128;

// A sink that counts what it is given and keeps nothing: the writer's cost, not the disk's.
class CountingSink : public std::streambuf {
 public:
  std::size_t bytes = 0;

 protected:
  std::streamsize xsputn(const char*, std::streamsize n) override {
    bytes += static_cast<std::size_t>(n);
    return n;
  }
  int_type overflow(int_type c) override {
    if (!traits_type::eq_int_type(c, traits_type::eof())) ++bytes;
    return traits_type::not_eof(c);
  }
};

std::string large_scenario_json() {
  std::mt19937 random(20240611);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  std::uniform_int_distribution<std::size_t> length(T / 2, T);
  std::ostringstream s;
  s << R"({"maskviz": 1, "name": "export-bench", "seed": 7, "input": {"values": [)";
  for (std::size_t b = 0; b < B; ++b) {
    const std::size_t valid = length(random);
    s << (b ? "," : "") << "[";
    for (std::size_t t = 0; t < T; ++t) {
      s << (t ? "," : "") << "[";
      for (std::size_t d = 0; d < D; ++d) s << (d ? "," : "") << (t < valid ? value(random) : 0.0f);
      s << "]";
    }
    s << "]";
  }
  s << R"(]}, "layers": [{"type": "Masking"}, {"type": "LSTM", "units": )" << H
    << R"(, "return_sequences": true}]})";
  return s.str();
}

std::size_t numbers_in(const Tensor& t) { return t.values.size(); }
std::size_t numbers_in(const std::vector<NamedTensor>& list) {
  std::size_t n = 0;
  for (const auto& item : list) n += numbers_in(item.value);
  return n;
}
std::size_t numbers_in(const LayerRecord& layer) {
  std::size_t n = numbers_in(layer.output) + numbers_in(layer.states);
  for (const auto& w : layer.weights) n += numbers_in(w.value);
  for (const auto& s : steps_of(layer)) {
    n += numbers_in(s.input) + numbers_in(s.prev_states) + numbers_in(s.biases) + numbers_in(s.pre_activations) +
         numbers_in(s.gates) + numbers_in(s.candidate_states) + numbers_in(s.candidate_output) +
         numbers_in(s.kept_states) + numbers_in(s.output);
    for (const auto& p : s.products) n += numbers_in(p.lhs) + numbers_in(p.result);
  }
  for (const auto& sub : halves_of(layer)) n += numbers_in(sub);
  return n;
}

// Built once: the scenario, both runs at full detail, and the heap they hold.
struct Fixture {
  Scenario scenario;
  Trace trace;
  std::size_t record_heap_bytes = 0;   // everything the trace holds on the heap
  std::size_t record_number_bytes = 0; // 4 bytes per float of the record
  std::size_t json_bytes = 0;          // the size of maskviz's export

  Fixture() {
    LoadOptions options;
    options.max_memory_bytes = std::size_t{16} << 30;
    options.detail = Detail::full;
    scenario = load_scenario(large_scenario_json(), "export-bench", options);
    const std::size_t before = heap_now.load();
    trace = run_both(scenario, Detail::full);
    record_heap_bytes = heap_now.load() - before;
    for (const RunRecord* run : {&trace.masked, &trace.unmasked})
      for (const auto& layer : run->layers) record_number_bytes += 4 * numbers_in(layer);
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

double streaming_seconds_per_trace = 0;

double cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

void report_memory(benchmark::State& state, std::size_t extra) {
  const Fixture& f = fixture();
  state.counters["extra_MB"] = static_cast<double>(extra) / 1e6;
  state.counters["record_MB"] = static_cast<double>(f.record_heap_bytes) / 1e6;
  state.counters["numbers_MB"] = static_cast<double>(f.record_number_bytes) / 1e6;
  state.counters["peak_vs_numbers"] =
      static_cast<double>(f.record_heap_bytes + extra) / static_cast<double>(f.record_number_bytes);
}

void BM_ExportStreaming(benchmark::State& state) {
  Fixture& f = fixture();
  std::size_t extra = 0;
  double seconds = 0;
  for (auto _ : state) {
    CountingSink sink;
    std::ostream out(&sink);
    const std::size_t base = heap_now.load();
    heap_peak.store(base);
    const auto start = cpu_seconds();
    write_trace_json(f.trace, out);
    seconds += cpu_seconds() - start;
    extra = std::max(extra, heap_peak.load() - base);
    f.json_bytes = sink.bytes;
  }
  streaming_seconds_per_trace = seconds / static_cast<double>(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(f.json_bytes * state.iterations()));
  state.counters["json_MB"] = static_cast<double>(f.json_bytes) / 1e6;
  report_memory(state, extra);
}

template <typename Document>
void dump_benchmark(benchmark::State& state) {
  Fixture& f = fixture();
  // The same trace as a document: parsed from maskviz's own export (not timed).
  std::size_t document_bytes = 0;
  double build_seconds = 0;
  Document document;
  {
    std::ostringstream text;
    write_trace_json(f.trace, text);
    const std::string exported = text.str();
    const std::size_t before = heap_now.load();
    const auto start = cpu_seconds();
    document = Document::parse(exported);
    build_seconds = cpu_seconds() - start;
    document_bytes = heap_now.load() - before;
  }
  std::size_t dumped = 0, string_extra = 0;
  double seconds = 0;
  for (auto _ : state) {
    const std::size_t base = heap_now.load();
    heap_peak.store(base);
    const auto start = cpu_seconds();
    const std::string text = document.dump();
    seconds += cpu_seconds() - start;
    string_extra = std::max(string_extra, heap_peak.load() - base);
    dumped = text.size();
    benchmark::DoNotOptimize(text.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(dumped * state.iterations()));
  state.counters["json_MB"] = static_cast<double>(dumped) / 1e6;
  state.counters["build_s"] = build_seconds;
  const double per_trace = seconds / static_cast<double>(state.iterations());
  if (streaming_seconds_per_trace > 0 && f.json_bytes > 0) {
    // The same trace: how many times faster streaming writes it, and its bytes per second over dump()'s.
    state.counters["streaming_x_time"] = per_trace / streaming_seconds_per_trace;
    state.counters["streaming_x_bytes_per_s"] =
        (static_cast<double>(f.json_bytes) / streaming_seconds_per_trace) / (static_cast<double>(dumped) / per_trace);
  }
  report_memory(state, document_bytes + string_extra);
}

void BM_NlohmannDump(benchmark::State& state) { dump_benchmark<nlohmann::json>(state); }

BENCHMARK(BM_ExportStreaming)->Unit(benchmark::kMillisecond)->Iterations(5);
BENCHMARK(BM_NlohmannDump)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace maskviz

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("process peak RSS: %.0f MB (all benchmarks, nlohmann documents included)\n",
              static_cast<double>(usage.ru_maxrss) / 1024.0);
  return 0;
}
