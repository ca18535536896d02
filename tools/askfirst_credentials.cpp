// tools/askfirst_credentials.cpp — `askfirst credentials --profile FILE
// [--json]`: the profile's credential entries (issue 13), their hosts, their
// source, and whether the source resolves on this host now — never a value.
// It reads each source as askfirstd would at startup (src/credentials/
// credential_sources.h), keeps the value in protected memory for the moment
// of the check and drops it: what a user runs before `askfirst exec` or
// `askfirst-vm` to see why a broker entry would stop askfirstd.
//
// `askfirst credentials --sandbox-files [--home DIR]` is askfirst-vm's
// helper: it reads the stubs JSON a running askfirstd wrote after its ready
// byte (stdin) and prints the stub variables and stub files `askfirst exec`
// would give its sandbox (tools/sandbox_stub_files.h), for the guest's user;
// askfirst-vm carries them into the guest. Stubs only: nothing it prints is
// secret.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "consent/cjson_handle.h"
#include "src/credentials/credential_sources.h"
#include "src/profile.h"
#include "tools/sandbox_stub_files.h"

namespace askfirst::cli {
namespace {

constexpr const char* kUsage =
    "usage: askfirst credentials --profile FILE [--json]\n"
    "       askfirst credentials --sandbox-files [--home DIR] < STUBS_JSON\n\n"
    "Lists the profile's credential entries: name, kind, hosts, source, and whether the\n"
    "source resolves on this host now (never its value). Exit status 1 when one does not.\n\n"
    "--sandbox-files: from the stubs a running askfirstd gave (its --ready-fd message, on\n"
    "stdin), prints as JSON the stub variables and stub files a sandbox gets (askfirst-vm\n"
    "puts them into its guest): {\"variables\": {NAME: STUB}, \"files\": [{\"path\",\n"
    "\"home_relative\" (when under --home, default $HOME), \"contents\"}]}.\n";

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

int print_sandbox_files(const std::string& home) {
    std::stringstream input;
    input << std::cin.rdbuf();
    const auto parsed = sandbox_stubs::parse_stub_entries(input.str());
    if (!parsed) {
        std::fprintf(stderr, "askfirst credentials: stdin is not askfirstd's stubs JSON ({\"credentials\": [...]})\n");
        return 2;
    }
    const auto& entries = parsed.value();
    std::ifstream real_config(home + "/.aws/config", std::ios::binary);
    std::stringstream real_config_text;
    if (!home.empty() && real_config) real_config_text << real_config.rdbuf();
    consent::JsonPtr root(cJSON_CreateObject());
    cJSON* variables = cJSON_AddObjectToObject(root.get(), "variables");
    for (const auto& [name, value] : sandbox_stubs::stub_variables(entries).set) {
        cJSON_DeleteItemFromObjectCaseSensitive(variables, name.c_str());  // a later one wins
        cJSON_AddStringToObject(variables, name.c_str(), value.c_str());
    }
    cJSON* files = cJSON_AddArrayToObject(root.get(), "files");
    for (const auto& file : sandbox_stubs::stub_files(entries, home, real_config_text.str())) {
        if (file.contents.empty()) continue;  // nothing to hide in a guest: no file
        cJSON* item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "path", file.path.c_str());
        if (!home.empty() && file.path.starts_with(home + "/"))
            cJSON_AddStringToObject(item, "home_relative", file.path.substr(home.size() + 1).c_str());
        cJSON_AddStringToObject(item, "contents", file.contents.c_str());
        cJSON_AddItemToArray(files, item);
    }
    std::printf("%s\n", consent::print_json(root.get()).c_str());
    return 0;
}

}  // namespace

int run_credentials(int argc, char** argv) {
    std::string profile_path;
    bool json = false;
    bool sandbox_files = false;
    const char* home_variable = std::getenv("HOME");
    std::string home = home_variable != nullptr ? home_variable : "";
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--profile") == 0 && i + 1 < argc) {
            profile_path = argv[++i];
        } else if (std::strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (std::strcmp(argv[i], "--sandbox-files") == 0) {
            sandbox_files = true;
        } else if (std::strcmp(argv[i], "--home") == 0 && i + 1 < argc) {
            home = argv[++i];
        } else if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
            std::fputs(kUsage, stdout);
            return 0;
        } else {
            std::fprintf(stderr, "askfirst credentials: unknown argument '%s'\n\n%s", argv[i], kUsage);
            return 2;
        }
    }
    while (home.size() > 1 && home.back() == '/') home.pop_back();
    if (sandbox_files) return print_sandbox_files(home);
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
        // Dropped (and its pages wiped) at the end of this iteration.
        const auto value = credentials::resolve_credential(spec);
        const bool resolved = value.ok();
        const std::string& problem = value.error();
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
