// tools/sandbox_stub_files.cpp — the sandbox's stub variables and stub files
// (see the header).
#include "tools/sandbox_stub_files.h"

#include <cjson/cJSON.h>

#include <algorithm>
#include <memory>
#include <sstream>

namespace askfirst::sandbox_stubs {
namespace {

struct JsonDeleter {
    void operator()(cJSON* json) const { cJSON_Delete(json); }
};
using Json = std::unique_ptr<cJSON, JsonDeleter>;

std::string text_of(const cJSON* item, const char* key) {
    const cJSON* value = cJSON_GetObjectItemCaseSensitive(item, key);
    return cJSON_IsString(value) && value->valuestring != nullptr ? value->valuestring : "";
}

std::vector<std::string> list_of(const cJSON* item, const char* key) {
    std::vector<std::string> out;
    const cJSON* list = cJSON_GetObjectItemCaseSensitive(item, key);
    for (const cJSON* value = list != nullptr ? list->child : nullptr; value != nullptr; value = value->next)
        if (cJSON_IsString(value)) out.emplace_back(value->valuestring);
    return out;
}

// The user part of a basic stub ("user:password"), or the user forges take with a token as password.
std::string user_of(const StubEntry& entry) {
    if (entry.kind == "basic") return entry.stub.substr(0, entry.stub.find(':'));
    return "x-access-token";
}
std::string password_of(const StubEntry& entry) {
    if (entry.kind == "basic") return entry.stub.substr(entry.stub.find(':') + 1);
    return entry.stub;
}
bool token_kind(const StubEntry& entry) {
    return entry.kind == "bearer" || entry.kind == "basic" || entry.kind == "header";
}

std::string aws_credentials_file(const std::vector<StubEntry>& entries) {
    std::string text;
    bool first = true;
    for (const auto& entry : entries) {
        if (entry.kind != "aws-sigv4") continue;
        const std::string keys = "aws_access_key_id = " + entry.access_key_id + "\naws_secret_access_key = " +
                                 entry.secret_access_key + "\n" +
                                 (entry.session_token.empty() ? "" : "aws_session_token = " + entry.session_token + "\n");
        if (first) text += "[default]\n" + keys;
        text += "[" + entry.name + "]\n" + keys;
        first = false;
    }
    return text;
}

std::string aws_config_file(const std::string& real_config) {
    std::istringstream real(real_config);
    std::string line, text = "# askfirst: the host's ~/.aws/config without its credential settings\n";
    while (std::getline(real, line)) {
        const std::size_t start = line.find_first_not_of(" \t");
        if (start == std::string::npos) continue;
        const std::string trimmed = line.substr(start);
        if (trimmed.front() == '[' || trimmed.starts_with("region") || trimmed.starts_with("output")) text += trimmed + "\n";
    }
    return text;
}

std::string gh_hosts_file(const std::vector<StubEntry>& entries) {
    for (const auto& entry : entries) {
        if (entry.kind != "bearer") continue;
        for (const auto& host : entry.hosts)
            if (host == "github.com" || host == "api.github.com")
                return "github.com:\n    oauth_token: " + entry.stub + "\n    git_protocol: https\n";
    }
    return "";
}

std::string git_credentials_file(const std::vector<StubEntry>& entries) {
    std::string text;
    for (const auto& entry : entries)
        if (token_kind(entry))
            for (const auto& host : entry.hosts)
                if (!host.starts_with("*.")) text += "https://" + user_of(entry) + ":" + password_of(entry) + "@" + host + "\n";
    return text;
}

std::string netrc_file(const std::vector<StubEntry>& entries) {
    std::string text;
    for (const auto& entry : entries)
        if (token_kind(entry))
            for (const auto& host : entry.hosts)
                if (!host.starts_with("*."))
                    text += "machine " + host + " login " + user_of(entry) + " password " + password_of(entry) + "\n";
    return text;
}

}  // namespace

Result<std::vector<StubEntry>> parse_stub_entries(const std::string& json) {
    Json root(cJSON_Parse(json.c_str()));
    const cJSON* list = root ? cJSON_GetObjectItemCaseSensitive(root.get(), "credentials") : nullptr;
    if (!cJSON_IsArray(list))
        return Result<std::vector<StubEntry>>::failure("not askfirstd's stubs JSON ({\"credentials\": [...]})");
    std::vector<StubEntry> out;
    for (const cJSON* item = list->child; item != nullptr; item = item->next) {
        StubEntry entry;
        entry.name = text_of(item, "name");
        entry.kind = text_of(item, "kind");
        entry.stub = text_of(item, "stub");
        entry.access_key_id = text_of(item, "access_key_id");
        entry.secret_access_key = text_of(item, "secret_access_key");
        entry.session_token = text_of(item, "session_token");
        entry.source_env = text_of(item, "source_env");
        entry.source_file = text_of(item, "source_file");
        entry.source_key_file = text_of(item, "source_key_file");
        entry.client_certificate = text_of(item, "client_certificate");
        entry.client_key = text_of(item, "client_key");
        entry.hosts = list_of(item, "hosts");
        entry.guest_env = list_of(item, "guest_env");
        out.push_back(std::move(entry));
    }
    return Result<std::vector<StubEntry>>::success(std::move(out));
}

StubVariables stub_variables(const std::vector<StubEntry>& entries) {
    StubVariables variables;
    auto set = [&](const std::string& name, const std::string& value) { variables.set.emplace_back(name, value); };
    const StubEntry* aws = nullptr;  // the last aws-sigv4 entry gives the AWS_* variables
    for (const auto& entry : entries) {
        if (!entry.source_env.empty()) variables.unset.push_back(entry.source_env);
        if (entry.kind == "aws-sigv4") aws = &entry;
    }
    if (aws != nullptr) {
        set("AWS_ACCESS_KEY_ID", aws->access_key_id);
        set("AWS_SECRET_ACCESS_KEY", aws->secret_access_key);
        if (aws->session_token.empty()) variables.unset.push_back("AWS_SESSION_TOKEN");
        else set("AWS_SESSION_TOKEN", aws->session_token);
    }
    // guest_env last: a name listed there wins over a source variable of the same name.
    for (const auto& entry : entries)
        for (const auto& name : entry.guest_env) set(name, entry.stub);
    return variables;
}

std::vector<StubFile> stub_files(const std::vector<StubEntry>& entries, const std::string& home,
                                 const std::string& real_aws_config) {
    std::vector<StubFile> files;
    const bool has_aws = std::any_of(entries.begin(), entries.end(), [](const StubEntry& e) { return e.kind == "aws-sigv4"; });
    if (!home.empty()) {
        if (has_aws) {
            files.push_back({home + "/.aws/credentials", aws_credentials_file(entries)});
            files.push_back({home + "/.aws/config", aws_config_file(real_aws_config)});
        }
        files.push_back({home + "/.config/gh/hosts.yml", gh_hosts_file(entries)});
        files.push_back({home + "/.git-credentials", git_credentials_file(entries)});
        files.push_back({home + "/.netrc", netrc_file(entries)});
    }
    for (const auto& entry : entries) {
        if (!entry.client_certificate.empty()) {  // a kube client certificate: the stub pair over the real one
            files.push_back({entry.source_file, entry.client_certificate});
            files.push_back({entry.source_key_file, entry.client_key});
        } else if (!entry.source_file.empty()) {
            files.push_back({entry.source_file, password_of(entry) + "\n"});
        }
    }
    return files;
}

}  // namespace askfirst::sandbox_stubs
