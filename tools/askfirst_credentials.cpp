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
// askfirst-vm carries them into the guest. With them the guest's
// ~/.kube/config: the host's kubeconfigs ($KUBECONFIG's list, else
// ~/.kube/config under --home) merged and turned into their stub by the
// generator `askfirst exec` uses (tools/exec_kubeconfig.h), the CA given by
// --ca inline. Stubs only: nothing it prints is secret.
#include <openssl/crypto.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "consent/cjson_handle.h"
#include "src/credentials/credential_sources.h"
#include "src/profile.h"
#include "tools/exec_kubeconfig.h"
#include "tools/sandbox_stub_files.h"

namespace askfirst::cli {
namespace {

// Where a guest's CA bundle is (askfirst-vm adds askfirst's CA to it): the
// kubeconfig's CA when --ca gives none inline.
constexpr const char* kGuestSystemBundle = "/etc/ssl/certs/ca-certificates.crt";

constexpr const char* kUsage =
    "usage: askfirst credentials --profile FILE [--json]\n"
    "       askfirst credentials --sandbox-files [--home DIR] [--ca PEM_FILE] < STUBS_JSON\n\n"
    "Lists the profile's credential entries: name, kind, hosts, source, and whether the\n"
    "source resolves on this host now (never its value). Exit status 1 when one does not.\n\n"
    "--sandbox-files: from the stubs a running askfirstd gave (its --ready-fd message, on\n"
    "stdin), prints as JSON the stub variables and stub files a sandbox gets (askfirst-vm\n"
    "puts them into its guest): {\"variables\": {NAME: STUB}, \"files\": [{\"path\",\n"
    "\"home_relative\" (when under --home, default $HOME), \"contents\"}]}. The files include\n"
    "~/.kube/config when the host has a kubeconfig ($KUBECONFIG, else ~/.kube/config under\n"
    "--home): servers and contexts kept, users holding stubs, and the CA of --ca inline (without\n"
    "--ca: the guest's system bundle).\n";

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

std::string file_text(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

// The guest's ~/.kube/config: the host's kubeconfigs merged into their stub;
// "" when the host has none (or none askfirst can read: said on stderr).
std::string guest_kubeconfig(const std::vector<sandbox_stubs::StubEntry>& entries, const std::string& home,
                             const std::string& ca_pem) {
    std::vector<std::string> texts;
    for (const auto& path : exec_credentials::kubeconfig_paths(std::getenv("KUBECONFIG"), home)) {
        struct stat info {};
        if (stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode)) texts.push_back(file_text(path));
    }
    if (texts.empty()) return "";
    const std::vector<std::string_view> views(texts.begin(), texts.end());
    auto stub = exec_credentials::merged_stub_kubeconfig(
        views, exec_credentials::kube_stubs(entries), exec_credentials::SandboxCa{kGuestSystemBundle, ca_pem});
    for (auto& text : texts) OPENSSL_cleanse(text.data(), text.size());
    if (!stub) {
        std::fprintf(stderr, "askfirst credentials: the host's kubeconfig: %s; the guest gets none\n",
                     stub.error().c_str());
        return "";
    }
    return stub.take();
}

int print_sandbox_files(const std::string& home, const std::string& ca_file) {
    std::stringstream input;
    input << std::cin.rdbuf();
    const auto parsed = sandbox_stubs::parse_stub_entries(input.str());
    if (!parsed) {
        std::fprintf(stderr, "askfirst credentials: stdin is not askfirstd's stubs JSON ({\"credentials\": [...]})\n");
        return 2;
    }
    const auto& entries = parsed.value();
    std::string ca_pem;
    if (!ca_file.empty()) {
        std::ifstream ca(ca_file, std::ios::binary);
        std::stringstream ca_text;
        if (ca) ca_text << ca.rdbuf();
        if (!ca || ca_text.str().find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
            std::fprintf(stderr, "askfirst credentials: --ca %s is not a PEM certificate file\n", ca_file.c_str());
            return 2;
        }
        ca_pem = ca_text.str();
    }
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
    auto stub_files = sandbox_stubs::stub_files(entries, home, real_config_text.str());
    if (!home.empty())
        if (std::string kubeconfig = guest_kubeconfig(entries, home, ca_pem); !kubeconfig.empty())
            stub_files.push_back({home + "/.kube/config", std::move(kubeconfig)});
    for (const auto& file : stub_files) {
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
    std::string ca_file;
    const char* home_variable = std::getenv("HOME");
    std::string home = home_variable != nullptr ? home_variable : "";
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--profile") == 0 && i + 1 < argc) {
            profile_path = argv[++i];
        } else if (std::strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (std::strcmp(argv[i], "--sandbox-files") == 0) {
            sandbox_files = true;
        } else if (std::strcmp(argv[i], "--ca") == 0 && i + 1 < argc) {
            ca_file = argv[++i];
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
    if (sandbox_files) return print_sandbox_files(home, ca_file);
    if (profile_path.empty()) {
        std::fprintf(stderr, "askfirst credentials: --profile FILE is required\n\n%s", kUsage);
        return 2;
    }
    const auto profile = load_profile_file(profile_path);
    if (!profile) {
        std::fprintf(stderr, "askfirst credentials: %s\n", profile.error().c_str());
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
