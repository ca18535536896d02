// tools/askfirst_credentials.cpp — `askfirst credentials --profile FILE
// [--json]`: the profile's credential entries (issue 13), their hosts, their
// source, and whether the source resolves on this host now — never a value.
// It reads each source as askfirstd would at startup (src/credentials/
// credential_sources.h), keeps the value in protected memory for the moment
// of the check and drops it: what a user runs before `askfirst exec` or
// `askfirst-vm` to see why a broker entry would stop askfirstd.
#include <cstdio>
#include <cstring>
#include <string>

#include "consent/cjson_handle.h"
#include "src/credentials/credential_sources.h"
#include "src/profile.h"

namespace askfirst::cli {
namespace {

constexpr const char* kUsage =
    "usage: askfirst credentials --profile FILE [--json]\n\n"
    "Lists the profile's credential entries: name, kind, hosts, source, and whether the\n"
    "source resolves on this host now (never its value). Exit status 1 when one does not.\n";

std::string source_text(const CredentialSource& source) {
    if (source.env) return "env " + *source.env;
    if (source.file && source.key_file) return "file " + *source.file + " key_file " + *source.key_file;
    if (source.file) return "file " + *source.file;
    std::string command = "command";
    for (const auto& word : *source.command) command += " " + word;
    return command;
}

std::string joined(const std::vector<std::string>& items) {
    std::string text;
    for (const auto& item : items) text += (text.empty() ? "" : ",") + item;
    return text;
}

}  // namespace

int run_credentials(int argc, char** argv) {
    std::string profile_path;
    bool json = false;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--profile") == 0 && i + 1 < argc) {
            profile_path = argv[++i];
        } else if (std::strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
            std::fputs(kUsage, stdout);
            return 0;
        } else {
            std::fprintf(stderr, "askfirst credentials: unknown argument '%s'\n\n%s", argv[i], kUsage);
            return 2;
        }
    }
    if (profile_path.empty()) {
        std::fprintf(stderr, "askfirst credentials: --profile FILE is required\n\n%s", kUsage);
        return 2;
    }
    std::string error;
    const auto profile = load_profile_file(profile_path, error);
    if (!profile) {
        std::fprintf(stderr, "askfirst credentials: %s\n", error.c_str());
        return 2;
    }
    consent::JsonPtr list(cJSON_CreateArray());
    bool all_resolved = true;
    if (!json && profile->credentials.empty()) std::printf("(the profile has no credentials)\n");
    for (const CredentialSpec& spec : profile->credentials) {
        credentials::RealCredential value;  // dropped (and its pages wiped) at the end of this iteration
        std::string problem;
        const bool resolved = credentials::resolve_credential(spec, value, problem);
        all_resolved = all_resolved && resolved;
        if (json) {
            cJSON* item = cJSON_CreateObject();
            cJSON_AddStringToObject(item, "name", spec.name.c_str());
            cJSON_AddStringToObject(item, "kind", spec.kind.c_str());
            cJSON* hosts = cJSON_AddArrayToObject(item, "hosts");
            for (const auto& host : spec.hosts) cJSON_AddItemToArray(hosts, cJSON_CreateString(host.c_str()));
            cJSON_AddStringToObject(item, "source", source_text(spec.source).c_str());
            cJSON_AddBoolToObject(item, "resolved", resolved);
            if (!resolved) cJSON_AddStringToObject(item, "error", problem.c_str());
            cJSON_AddItemToArray(list.get(), item);
        } else {
            std::printf("%s  %s  hosts=%s  source=\"%s\"  %s\n", spec.name.c_str(), spec.kind.c_str(),
                        joined(spec.hosts).c_str(), source_text(spec.source).c_str(),
                        resolved ? "resolved" : ("NOT RESOLVED: " + problem).c_str());
        }
    }
    if (json) std::printf("%s\n", consent::print_json(list.get()).c_str());
    return all_resolved ? 0 : 1;
}

}  // namespace askfirst::cli
