// tools/askfirst_classify.cpp — `askfirst classify`: the classifiers, offline.
//
// Reads requests as JSON Lines (the corpus format of ../shared/corpus/README.md)
// from files or stdin, or one raw HTTP/1.1 request with --raw, and prints what
// askfirstd would decide for each: {"provider","operation","tier","detail","flags"}.
// With --check it compares each record's "expect" and prints agreement per
// provider. Pure: it never opens a socket.
#include <cjson/cJSON.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "classifiers/classification.h"
#include "src/http/raw_request.h"
#include "tools/classify_input.h"

namespace askfirst::cli {
namespace {

using classifiers::Classification;
using classifiers::HttpRequest;
using classifiers::Tier;

constexpr double kDefaultMinAgreement = 0.99;

struct Options {
    bool check = false;
    double min_agreement = kDefaultMinAgreement;
    std::string raw_file;
    std::vector<std::string> files;
};

void print_help(std::FILE* out) {
    std::fprintf(out,
                 "usage: askfirst classify [--check [--min-agreement F]] [FILE...]\n"
                 "       askfirst classify --raw FILE\n"
                 "\n"
                 "Classifies HTTP requests offline, as askfirstd would, and prints one JSON\n"
                 "line per request: {\"provider\",\"operation\",\"tier\",\"detail\",\"flags\"}.\n"
                 "\n"
                 "Input is JSON Lines, one record a line, from each FILE or from stdin:\n"
                 "  {\"request\":{\"method\",\"host\",\"path\",\"query\",\"headers\":{...},\"body\"},\n"
                 "   \"expect\":\"read|write|destructive\", \"operation\":..., \"provider\":...}\n"
                 "(the corpus format; body characters U+0000..U+00FF stand for single bytes).\n"
                 "\n"
                 "  --raw FILE          classify one raw HTTP/1.1 request read from FILE\n"
                 "  --check             compare with each record's \"expect\"; print agreement per\n"
                 "                      provider and every disagreement; exit 1 if a record\n"
                 "                      expected write/destructive is judged read, or if tier\n"
                 "                      agreement is under --min-agreement\n"
                 "  --min-agreement F   the agreement --check requires, 0..1 (default %.2f)\n"
                 "  --help              this text\n",
                 kDefaultMinAgreement);
}

std::optional<Options> parse_options(int argc, char** argv) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            print_help(stdout);
            std::exit(0);
        } else if (arg == "--check") {
            options.check = true;
        } else if (arg == "--min-agreement" && i + 1 < argc) {
            char* end = nullptr;
            options.min_agreement = std::strtod(argv[++i], &end);
            if (*end != '\0' || options.min_agreement < 0 || options.min_agreement > 1) {
                std::fprintf(stderr, "askfirst classify: --min-agreement wants a number from 0 to 1, got '%s'\n",
                             argv[i]);
                return std::nullopt;
            }
        } else if (arg == "--raw" && i + 1 < argc) {
            options.raw_file = argv[++i];
        } else if (!arg.empty() && arg[0] == '-' && arg != "-") {
            std::fprintf(stderr, "askfirst classify: unknown or incomplete option '%s'; see --help\n", arg.c_str());
            return std::nullopt;
        } else {
            options.files.push_back(arg);
        }
    }
    if (!options.raw_file.empty() && (options.check || !options.files.empty())) {
        std::fprintf(stderr, "askfirst classify: --raw takes one file and no --check or other files\n");
        return std::nullopt;
    }
    return options;
}

std::string classification_json(const Classification& c) {
    std::unique_ptr<cJSON, decltype(&cJSON_Delete)> object(cJSON_CreateObject(), cJSON_Delete);
    cJSON_AddStringToObject(object.get(), "provider", c.provider.c_str());
    cJSON_AddStringToObject(object.get(), "operation", c.operation.c_str());
    cJSON_AddStringToObject(object.get(), "tier", std::string(classifiers::tier_name(c.tier)).c_str());
    cJSON_AddStringToObject(object.get(), "detail", c.detail.c_str());
    cJSON* flags = cJSON_AddArrayToObject(object.get(), "flags");
    for (const auto& flag : c.flags) cJSON_AddItemToArray(flags, cJSON_CreateString(flag.c_str()));
    std::unique_ptr<char, decltype(&std::free)> text(cJSON_PrintUnformatted(object.get()), std::free);
    return text ? text.get() : "{}";
}

// Per-provider agreement for --check.
struct Tally {
    int records = 0;
    int tier_agree = 0;
    int operation_agree = 0;
    int operation_labeled = 0;
    int missed = 0;  // expected write/destructive, judged read
};

struct CheckState {
    std::map<std::string, Tally> by_provider;
    std::vector<std::string> disagreements;
};

void check_record(const CorpusRecord& record, const Classification& got, const std::string& where,
                  CheckState& state) {
    Tally& tally = state.by_provider[record.provider.empty() ? got.provider : record.provider];
    ++tally.records;
    const bool tier_ok = got.tier == *record.expect;
    tally.tier_agree += tier_ok;
    if (!tier_ok && *record.expect != Tier::read && got.tier == Tier::read) ++tally.missed;
    const bool operation_ok = record.operation.empty() || record.operation == got.operation;
    if (!record.operation.empty()) {
        ++tally.operation_labeled;
        tally.operation_agree += operation_ok;
    }
    if (!tier_ok || !operation_ok) {
        state.disagreements.push_back(where + ": expected " + std::string(classifiers::tier_name(*record.expect)) +
                                      " " + record.operation + ", got " +
                                      std::string(classifiers::tier_name(got.tier)) + " " + got.operation +
                                      " [" + got.provider + "] " + got.detail);
    }
}

// Prints the table and the disagreements; returns the exit status.
int report_check(const CheckState& state, double min_agreement) {
    Tally total;
    std::printf("%-22s %8s %10s %10s %8s\n", "provider", "records", "tier %", "operation %", "missed");
    for (const auto& [provider, tally] : state.by_provider) {
        const double operation_pct =
            tally.operation_labeled ? 100.0 * tally.operation_agree / tally.operation_labeled : 100.0;
        std::printf("%-22s %8d %9.1f%% %10.1f%% %8d\n", provider.c_str(), tally.records,
                    100.0 * tally.tier_agree / tally.records, operation_pct, tally.missed);
        total.records += tally.records;
        total.tier_agree += tally.tier_agree;
        total.operation_agree += tally.operation_agree;
        total.operation_labeled += tally.operation_labeled;
        total.missed += tally.missed;
    }
    if (total.records == 0) {
        std::fprintf(stderr, "askfirst classify --check: no records with \"expect\" were read\n");
        return 1;
    }
    const double agreement = static_cast<double>(total.tier_agree) / total.records;
    std::printf("%-22s %8d %9.1f%% %10.1f%% %8d\n", "total", total.records, 100.0 * agreement,
                total.operation_labeled ? 100.0 * total.operation_agree / total.operation_labeled : 100.0,
                total.missed);
    if (!state.disagreements.empty()) std::printf("\ndisagreements (%zu):\n", state.disagreements.size());
    for (const auto& line : state.disagreements) std::printf("  %s\n", line.c_str());
    if (total.missed > 0) {
        std::printf("\nFAIL: %d request(s) expected write or destructive were judged read\n", total.missed);
        return 1;
    }
    if (agreement < min_agreement) {
        std::printf("\nFAIL: tier agreement %.2f%% is under --min-agreement %.2f%%\n", 100.0 * agreement,
                    100.0 * min_agreement);
        return 1;
    }
    return 0;
}

// Classifies every line of one stream; false on the first bad line.
bool classify_stream(std::istream& in, const std::string& name, const Options& options, CheckState& state) {
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        const auto record = parse_corpus_record(line);
        const std::string where = name + ":" + std::to_string(number);
        if (!record) {
            std::fprintf(stderr, "askfirst classify: %s: %s\n", where.c_str(), record.error().c_str());
            return false;
        }
        const Classification got = classifiers::classify(record->request);
        if (!options.check) {
            std::printf("%s\n", classification_json(got).c_str());
        } else if (!record->expect) {
            std::fprintf(stderr, "askfirst classify: %s: --check needs \"expect\" (read, write or destructive)\n",
                         where.c_str());
            return false;
        } else {
            check_record(*record, got, where, state);
        }
    }
    return true;
}

int classify_raw(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "askfirst classify: cannot read '%s': check the path\n", path.c_str());
        return 2;
    }
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto request = http::read_saved_request(bytes);
    if (!request) {
        std::fprintf(stderr, "askfirst classify: %s: %s\n", path.c_str(), request.error().c_str());
        return 2;
    }
    std::printf("%s\n", classification_json(classifiers::classify(*request)).c_str());
    return 0;
}

}  // namespace

int classify_main(int argc, char** argv) {
    const auto options = parse_options(argc, argv);
    if (!options) return 2;
    if (!options->raw_file.empty()) return classify_raw(options->raw_file);
    CheckState state;
    if (options->files.empty() || (options->files.size() == 1 && options->files[0] == "-")) {
        if (!classify_stream(std::cin, "stdin", *options, state)) return 2;
    }
    for (const auto& file : options->files) {
        if (file == "-") continue;
        std::ifstream in(file, std::ios::binary);
        if (!in) {
            std::fprintf(stderr, "askfirst classify: cannot read '%s': check the path\n", file.c_str());
            return 2;
        }
        if (!classify_stream(in, file, *options, state)) return 2;
    }
    return options->check ? report_check(state, options->min_agreement) : 0;
}

}  // namespace askfirst::cli
