// tests/bench/classify_bench.cpp — how long does classify() take per request?
//
// Loads corpus JSON Lines (../shared/corpus/*.jsonl), classifies every record
// many times through the registry, and prints classifications per second and
// the median and 99th-percentile time per request, overall and per corpus
// provider (with its record count), next to a baseline measured in the same
// run: the generic method-only classifier on the same requests. The target is
// a median under 5 µs per request (issue 5). Then the slowest records by their
// own median (--slowest N: where a p99 comes from), and the heap allocations
// (operator new, replaced below) per request in select_provider() and in the
// whole classify(), per corpus provider.
// Built by meson, run by hand:
//   build/tests/bench/classify_bench [--rounds N] [--slowest N] FILE...
// The machine is shared: for figures that do not move with the load, count
// instructions instead: valgrind --tool=callgrind ... --rounds 1.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <new>
#include <string>
#include <vector>

#include "classifiers/registry.h"
#include "tools/classify_input.h"

namespace {
// operator new calls while `g_counting_allocations` is set (single-threaded
// bench; C allocations such as cJSON's malloc are not seen).
bool g_counting_allocations = false;
std::size_t g_allocations = 0;
}  // namespace

void* operator new(std::size_t size) {
    if (g_counting_allocations) ++g_allocations;
    if (void* block = std::malloc(size == 0 ? 1 : size)) return block;
    throw std::bad_alloc();
}
// GCC cannot see that these pair with the operator new above.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void operator delete(void* block) noexcept { std::free(block); }
void operator delete(void* block, std::size_t) noexcept { std::free(block); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

namespace {

using askfirst::classifiers::Classification;
using askfirst::classifiers::HttpRequest;
using Clock = std::chrono::steady_clock;

// Rounds over the whole corpus: enough samples for a stable median
// (~1,700 records x 200 = 340,000 calls) in a few seconds.
constexpr int kDefaultRounds = 200;
constexpr int kWarmUpRounds = 3;
// Records listed by their own median time, slowest first (--slowest N).
constexpr std::size_t kDefaultSlowest = 5;

struct Sample {
    std::string provider;
    HttpRequest request;
};

bool load(const char* path, std::vector<Sample>& samples) {
    std::ifstream in(path);
    if (!in) {
        std::fprintf(stderr, "classify_bench: cannot read '%s'\n", path);
        return false;
    }
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        if (line.empty()) continue;
        auto record = askfirst::cli::parse_corpus_record(line);
        if (!record) {
            std::fprintf(stderr, "classify_bench: %s:%d: %s\n", path, number, record.error().c_str());
            return false;
        }
        samples.push_back({record->provider, std::move(record->request)});
    }
    return true;
}

// The value below which `fraction` of the samples lie, in µs (0.5: median).
double percentile_us(std::vector<double>& nanoseconds, double fraction) {
    if (nanoseconds.empty()) return 0;
    const auto rank = static_cast<std::size_t>(fraction * static_cast<double>(nanoseconds.size() - 1));
    auto at = nanoseconds.begin() + static_cast<long>(rank);
    std::nth_element(nanoseconds.begin(), at, nanoseconds.end());
    return *at / 1000.0;
}

double median_us(std::vector<double>& nanoseconds) { return percentile_us(nanoseconds, 0.5); }

struct Measurement {
    double per_second = 0;
    double median_us = 0;
    double p99_us = 0;
    std::map<std::string, std::vector<double>> by_provider;
    std::vector<std::vector<double>> by_record;  // per sample, one time per round
};

// Times each call on its own (for the median) and the whole run (for the rate).
template <typename Classify>
Measurement measure(const std::vector<Sample>& samples, int rounds, Classify classify) {
    std::size_t sink = 0;
    for (int round = 0; round < kWarmUpRounds; ++round)
        for (const auto& sample : samples) sink += classify(sample.request).operation.size();
    Measurement result;
    std::vector<double> all;
    all.reserve(samples.size() * static_cast<std::size_t>(rounds));
    result.by_record.resize(samples.size());
    const auto start = Clock::now();
    for (int round = 0; round < rounds; ++round) {
        for (std::size_t index = 0; index < samples.size(); ++index) {
            const Sample& sample = samples[index];
            const auto t0 = Clock::now();
            const Classification c = classify(sample.request);
            const auto t1 = Clock::now();
            sink += c.operation.size();
            const double ns = std::chrono::duration<double, std::nano>(t1 - t0).count();
            all.push_back(ns);
            result.by_provider[sample.provider].push_back(ns);
            result.by_record[index].push_back(ns);
        }
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    result.per_second = static_cast<double>(all.size()) / seconds;
    result.median_us = median_us(all);
    result.p99_us = percentile_us(all, 0.99);
    if (sink == 0) std::printf("(no operations named)\n");  // keeps the calls observable
    return result;
}

// The records whose own median time is the highest: where a p99 comes from.
void print_slowest(const std::vector<Sample>& samples, Measurement& measurement, std::size_t count) {
    std::vector<std::pair<double, std::size_t>> ranked;
    for (std::size_t index = 0; index < samples.size(); ++index)
        ranked.emplace_back(median_us(measurement.by_record[index]), index);
    count = std::min(count, ranked.size());
    std::partial_sort(ranked.begin(), ranked.begin() + static_cast<long>(count), ranked.end(),
                      [](const auto& a, const auto& b) { return a.first > b.first; });
    if (count > 0) std::printf("\nslowest records (median µs):\n");
    for (std::size_t i = 0; i < count; ++i) {
        const Sample& sample = samples[ranked[i].second];
        std::printf("  %8.3f  %-14s %s %s%s (body %zu bytes)\n", ranked[i].first, sample.provider.c_str(),
                    sample.request.method.c_str(), sample.request.host.c_str(),
                    sample.request.path.substr(0, 60).c_str(), sample.request.body.size());
    }
}

// operator new calls made by `call` on one request.
template <typename Call>
std::size_t allocations_in(Call call) {
    g_allocations = 0;
    g_counting_allocations = true;
    call();
    g_counting_allocations = false;
    return g_allocations;
}

// Mean heap allocations per request, per corpus provider: in choosing the
// provider (select_provider) and in the whole classify().
void print_allocations(const std::vector<Sample>& samples) {
    struct Counts {
        std::size_t requests = 0, selecting = 0, classifying = 0;
    };
    std::map<std::string, Counts> by_provider;
    std::size_t sink = 0;
    for (const Sample& sample : samples) {
        Counts& counts = by_provider[sample.provider];
        ++counts.requests;
        counts.selecting += allocations_in([&] { sink += askfirst::classifiers::select_provider(sample.request).name.size(); });
        counts.classifying += allocations_in([&] { sink += askfirst::classifiers::classify(sample.request).operation.size(); });
    }
    std::printf("\nheap allocations per request (mean): select_provider  classify\n");
    for (const auto& [provider, counts] : by_provider)
        std::printf("  %-20s %28.1f %9.1f\n", provider.c_str(),
                    static_cast<double>(counts.selecting) / static_cast<double>(counts.requests),
                    static_cast<double>(counts.classifying) / static_cast<double>(counts.requests));
    if (sink == 0) std::printf("(nothing named)\n");
}

}  // namespace

int main(int argc, char** argv) {
    int rounds = kDefaultRounds;
    std::size_t slowest = kDefaultSlowest;
    std::vector<Sample> samples;
    for (int i = 1; i < argc; ++i) {
        if (std::string(argv[i]) == "--rounds" && i + 1 < argc) {
            rounds = std::max(1, std::atoi(argv[++i]));
        } else if (std::string(argv[i]) == "--slowest" && i + 1 < argc) {
            slowest = static_cast<std::size_t>(std::max(0, std::atoi(argv[++i])));
        } else if (!load(argv[i], samples)) {
            return 2;
        }
    }
    if (samples.empty()) {
        std::fprintf(stderr, "usage: classify_bench [--rounds N] [--slowest N] CORPUS.jsonl...\n"
                             "  e.g. classify_bench ../shared/corpus/*.jsonl\n");
        return 2;
    }
    Measurement full = measure(samples, rounds, [](const HttpRequest& r) { return askfirst::classifiers::classify(r); });
    Measurement baseline = measure(samples, rounds, [](const HttpRequest& r) {
        return askfirst::classifiers::kGenericProvider.classify(r);
    });
    std::printf("%zu requests x %d rounds\n", samples.size(), rounds);
    std::printf("%-22s %14s %12s %12s\n", "classifier", "classify/s", "median µs", "p99 µs");
    std::printf("%-22s %14.0f %12.3f %12.3f\n", "registry (all)", full.per_second, full.median_us, full.p99_us);
    std::printf("%-22s %14.0f %12.3f %12.3f\n", "baseline: generic", baseline.per_second, baseline.median_us,
                baseline.p99_us);
    std::printf("ratio registry/generic: %.1fx slower per call (median)\n",
                baseline.median_us > 0 ? full.median_us / baseline.median_us : 0.0);
    std::printf("\nper corpus provider (registry):   median µs    p99 µs\n");
    for (auto& [provider, times] : full.by_provider)
        std::printf("  %-20s %8zu %12.3f %9.3f\n", provider.c_str(), times.size() / static_cast<std::size_t>(rounds),
                    median_us(times), percentile_us(times, 0.99));
    print_slowest(samples, full, slowest);
    print_allocations(samples);
    return 0;
}
