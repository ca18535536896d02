// tools/exec_kubeconfig.cpp — the stub kubeconfig of `askfirst exec` (see the header).
#include "tools/exec_kubeconfig.h"

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <yaml.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace askfirst::exec_credentials {
namespace {

struct JsonDeleter {
    void operator()(cJSON* json) const { cJSON_Delete(json); }
};
using Json = std::unique_ptr<cJSON, JsonDeleter>;

// A kubeconfig nests five levels; aliases can make a small document expand
// without bound, so the conversion stops at these.
constexpr int kMaxDepth = 32;
constexpr std::size_t kMaxNodes = 100000;

class YamlDocument {
public:
    explicit YamlDocument(std::string_view text) {
        yaml_parser_initialize(&parser_);
        yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(text.data()), text.size());
        loaded_ = yaml_parser_load(&parser_, &document_) == 1;
    }
    ~YamlDocument() {
        if (loaded_) yaml_document_delete(&document_);
        yaml_parser_delete(&parser_);
    }
    YamlDocument(const YamlDocument&) = delete;
    YamlDocument& operator=(const YamlDocument&) = delete;

    yaml_node_t* root() { return loaded_ ? yaml_document_get_root_node(&document_) : nullptr; }
    yaml_node_t* node(int id) { return yaml_document_get_node(&document_, id); }

private:
    yaml_parser_t parser_{};
    yaml_document_t document_{};
    bool loaded_ = false;
};

bool is_integer(std::string_view text) {
    if (text.empty() || text.size() > 15) return false;
    const std::size_t start = text[0] == '-' ? 1 : 0;
    if (start == text.size()) return false;
    for (std::size_t i = start; i < text.size(); ++i)
        if (text[i] < '0' || text[i] > '9') return false;
    return true;
}

// YAML 1.1 core scalars a kubeconfig uses: plain true/false, null, integers; the rest are strings.
cJSON* scalar_to_json(const yaml_node_t& node) {
    const std::string text(reinterpret_cast<const char*>(node.data.scalar.value), node.data.scalar.length);
    if (node.data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
        if (text == "true" || text == "True") return cJSON_CreateTrue();
        if (text == "false" || text == "False") return cJSON_CreateFalse();
        if (text == "null" || text == "~" || text.empty()) return cJSON_CreateNull();
        if (is_integer(text)) return cJSON_CreateNumber(std::strtod(text.c_str(), nullptr));
    }
    return cJSON_CreateString(text.c_str());
}

cJSON* to_json(YamlDocument& document, yaml_node_t* node, int depth, std::size_t& nodes) {
    if (node == nullptr || depth > kMaxDepth || ++nodes > kMaxNodes) return nullptr;
    switch (node->type) {
    case YAML_SCALAR_NODE: return scalar_to_json(*node);
    case YAML_SEQUENCE_NODE: {
        Json list(cJSON_CreateArray());
        for (yaml_node_item_t* item = node->data.sequence.items.start; item < node->data.sequence.items.top; ++item) {
            cJSON* value = to_json(document, document.node(*item), depth + 1, nodes);
            if (value == nullptr) return nullptr;
            cJSON_AddItemToArray(list.get(), value);
        }
        return list.release();
    }
    case YAML_MAPPING_NODE: {
        Json object(cJSON_CreateObject());
        for (yaml_node_pair_t* pair = node->data.mapping.pairs.start; pair < node->data.mapping.pairs.top; ++pair) {
            yaml_node_t* key = document.node(pair->key);
            if (key == nullptr || key->type != YAML_SCALAR_NODE) return nullptr;
            cJSON* value = to_json(document, document.node(pair->value), depth + 1, nodes);
            if (value == nullptr) return nullptr;
            const std::string name(reinterpret_cast<const char*>(key->data.scalar.value), key->data.scalar.length);
            cJSON_AddItemToObject(object.get(), name.c_str(), value);
        }
        return object.release();
    }
    default: return nullptr;
    }
}

std::string text_of(const cJSON* object, const char* key) {
    const cJSON* value = cJSON_GetObjectItemCaseSensitive(object, key);
    return cJSON_IsString(value) && value->valuestring != nullptr ? value->valuestring : "";
}

// "https://kube.example:6443/x" → "kube.example"; "https://[::1]:6443" → "::1".
std::string host_of_server(const std::string& server) {
    std::size_t start = server.find("://");
    start = start == std::string::npos ? 0 : start + 3;
    std::string authority = server.substr(start, server.find('/', start) - start);
    if (const std::size_t at = authority.rfind('@'); at != std::string::npos) authority.erase(0, at + 1);
    if (!authority.empty() && authority.front() == '[') return authority.substr(1, authority.find(']') - 1);
    return authority.substr(0, authority.find(':'));
}

bool host_matches(const std::string& pattern, const std::string& host) {
    auto lower = [](std::string text) {
        for (char& c : text)
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        return text;
    };
    const std::string p = lower(pattern), h = lower(host);
    if (p.starts_with("*.")) return h.size() > p.size() - 1 && h.ends_with(p.substr(1));
    return p == h;
}

std::string base64(const std::string& text) {
    std::string out(4 * ((text.size() + 2) / 3) + 1, '\0');
    const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                        reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
    out.resize(written > 0 ? static_cast<std::size_t>(written) : 0);
    return out;
}

// The named list's items ("clusters": [{"name", "cluster": {...}}]), or null.
const cJSON* named_list(const cJSON* root, const char* key) {
    const cJSON* list = cJSON_GetObjectItemCaseSensitive(root, key);
    return cJSON_IsArray(list) ? list : nullptr;
}

const cJSON* find_named(const cJSON* list, const std::string& name, const char* inner) {
    for (const cJSON* item = list != nullptr ? list->child : nullptr; item != nullptr; item = item->next)
        if (text_of(item, "name") == name) return cJSON_GetObjectItemCaseSensitive(item, inner);
    return nullptr;
}

// The stub for the user `name`: the entry listing the server of a context
// that uses it, contexts and clusters looked up in `merged` (the whole list).
const KubeStub* stub_for_user(const cJSON* merged, const std::string& name, const std::vector<KubeStub>& stubs) {
    const cJSON* contexts = named_list(merged, "contexts");
    for (const cJSON* item = contexts != nullptr ? contexts->child : nullptr; item != nullptr; item = item->next) {
        const cJSON* context = cJSON_GetObjectItemCaseSensitive(item, "context");
        if (text_of(context, "user") != name) continue;
        const cJSON* cluster = find_named(named_list(merged, "clusters"), text_of(context, "cluster"), "cluster");
        const std::string host = host_of_server(text_of(cluster, "server"));
        for (const KubeStub& stub : stubs)
            for (const std::string& pattern : stub.hosts)
                if (!host.empty() && host_matches(pattern, host)) return &stub;
    }
    return nullptr;
}

cJSON* stub_cluster(const cJSON* real, const SandboxCa& ca) {
    cJSON* cluster = cJSON_CreateObject();
    for (const char* kept : {"server", "tls-server-name"})
        if (const std::string value = text_of(real, kept); !value.empty()) cJSON_AddStringToObject(cluster, kept, value.c_str());
    if (!ca.pem.empty()) cJSON_AddStringToObject(cluster, "certificate-authority-data", base64(ca.pem).c_str());
    else cJSON_AddStringToObject(cluster, "certificate-authority", ca.file.c_str());
    return cluster;
}

cJSON* stub_user(const KubeStub* stub) {
    cJSON* user = cJSON_CreateObject();
    if (stub == nullptr) return user;
    if (!stub->token.empty()) cJSON_AddStringToObject(user, "token", stub->token.c_str());
    if (!stub->client_certificate.empty()) {
        cJSON_AddStringToObject(user, "client-certificate-data", base64(stub->client_certificate).c_str());
        cJSON_AddStringToObject(user, "client-key-data", base64(stub->client_key).c_str());
    }
    return user;
}

// A list of {"name", inner: make(real inner)} items.
template <typename Make>
void add_named_list(cJSON* out, const cJSON* real, const char* key, const char* inner, Make make) {
    cJSON* list = cJSON_AddArrayToObject(out, key);
    const cJSON* items = named_list(real, key);
    for (const cJSON* item = items != nullptr ? items->child : nullptr; item != nullptr; item = item->next) {
        const std::string name = text_of(item, "name");
        cJSON* entry = cJSON_CreateObject();
        cJSON_AddStringToObject(entry, "name", name.c_str());
        cJSON_AddItemToObject(entry, inner, make(name, cJSON_GetObjectItemCaseSensitive(item, inner)));
        cJSON_AddItemToArray(list, entry);
    }
}

Json parsed_kubeconfig(std::string_view yaml) {
    YamlDocument document(yaml);
    std::size_t nodes = 0;
    Json real(to_json(document, document.root(), 0, nodes));
    if (!real || !cJSON_IsObject(real.get())) return nullptr;
    return real;
}

constexpr const char* kNotAKubeconfig = "is not a kubeconfig askfirst can read (YAML mapping expected)";

// kubectl's merge of a $KUBECONFIG list: the first file to name a cluster,
// user or context, or to set a top-level value, wins.
Json merged_kubeconfig(const std::vector<Json>& documents) {
    Json merged(cJSON_CreateObject());
    for (const Json& document : documents) {
        for (const char* key : {"apiVersion", "kind", "current-context", "preferences"}) {
            const cJSON* value = cJSON_GetObjectItemCaseSensitive(document.get(), key);
            if (value == nullptr || cJSON_GetObjectItemCaseSensitive(merged.get(), key) != nullptr) continue;
            if (cJSON_IsString(value) && value->valuestring[0] == '\0') continue;
            cJSON_AddItemToObject(merged.get(), key, cJSON_Duplicate(value, 1));
        }
        for (const char* key : {"clusters", "users", "contexts"}) {
            const cJSON* items = named_list(document.get(), key);
            cJSON* out = cJSON_GetObjectItemCaseSensitive(merged.get(), key);
            if (out == nullptr) out = cJSON_AddArrayToObject(merged.get(), key);
            for (const cJSON* item = items != nullptr ? items->child : nullptr; item != nullptr; item = item->next) {
                const std::string name = text_of(item, "name");
                bool known = false;
                for (const cJSON* seen = out->child; seen != nullptr && !known; seen = seen->next)
                    known = text_of(seen, "name") == name;
                if (!known) cJSON_AddItemToArray(out, cJSON_Duplicate(item, 1));
            }
        }
    }
    return merged;
}

// The stub of `real`, users' stubs decided by the contexts and clusters of `merged`.
std::string stub_of(const cJSON* real, const cJSON* merged, const std::vector<KubeStub>& stubs, const SandboxCa& ca) {
    Json out(cJSON_CreateObject());
    for (const char* kept : {"apiVersion", "kind", "current-context"})
        if (const std::string value = text_of(real, kept); !value.empty())
            cJSON_AddStringToObject(out.get(), kept, value.c_str());
    if (const cJSON* preferences = cJSON_GetObjectItemCaseSensitive(real, "preferences"))
        cJSON_AddItemToObject(out.get(), "preferences", cJSON_Duplicate(preferences, 1));
    add_named_list(out.get(), real, "clusters", "cluster",
                   [&](const std::string&, const cJSON* cluster) { return stub_cluster(cluster, ca); });
    add_named_list(out.get(), real, "users", "user", [&](const std::string& name, const cJSON*) {
        return stub_user(stub_for_user(merged, name, stubs));
    });
    add_named_list(out.get(), real, "contexts", "context", [](const std::string&, const cJSON* context) {
        return context != nullptr ? cJSON_Duplicate(context, 1) : cJSON_CreateObject();
    });
    char* printed = cJSON_Print(out.get());
    std::string text = printed != nullptr ? printed : "";
    cJSON_free(printed);
    return text + "\n";
}

}  // namespace

std::vector<KubeStub> kube_stubs(const std::vector<sandbox_stubs::StubEntry>& entries) {
    std::vector<KubeStub> stubs;
    for (const auto& entry : entries)
        if (entry.kind == "kube") stubs.push_back(KubeStub{entry.hosts, entry.stub, entry.client_certificate, entry.client_key});
    return stubs;
}

Result<std::string> stub_kubeconfig(std::string_view real_yaml, const std::vector<KubeStub>& stubs, const SandboxCa& ca,
                                    const std::vector<std::string_view>& merged_with) {
    Json real = parsed_kubeconfig(real_yaml);
    if (!real) return Result<std::string>::failure(kNotAKubeconfig);
    if (merged_with.empty()) return Result<std::string>::success(stub_of(real.get(), real.get(), stubs, ca));
    std::vector<Json> documents;
    for (const std::string_view text : merged_with)
        if (Json document = parsed_kubeconfig(text)) documents.push_back(std::move(document));
    const Json merged = merged_kubeconfig(documents);
    return Result<std::string>::success(stub_of(real.get(), merged.get(), stubs, ca));
}

Result<std::string> merged_stub_kubeconfig(const std::vector<std::string_view>& real_yamls,
                                           const std::vector<KubeStub>& stubs, const SandboxCa& ca) {
    std::vector<Json> documents;
    for (const std::string_view text : real_yamls) {
        documents.push_back(parsed_kubeconfig(text));
        if (!documents.back())
            return Result<std::string>::failure("file " + std::to_string(documents.size()) + " of the list " +
                                                kNotAKubeconfig);
    }
    const Json merged = merged_kubeconfig(documents);
    return Result<std::string>::success(stub_of(merged.get(), merged.get(), stubs, ca));
}

std::vector<std::string> kubeconfig_paths(const char* kubeconfig_variable, const std::string& home) {
    std::vector<std::string> paths;
    if (kubeconfig_variable != nullptr && kubeconfig_variable[0] != '\0') {
        const std::string_view text = kubeconfig_variable;
        std::size_t at = 0;
        while (at <= text.size()) {
            const std::size_t end = std::min(text.find(':', at), text.size());
            if (end > at) paths.emplace_back(text.substr(at, end - at));
            at = end + 1;
        }
        return paths;
    }
    if (!home.empty()) paths.push_back(home + "/.kube/config");
    return paths;
}

std::vector<std::string> kubeconfig_paths() {
    const char* home = std::getenv("HOME");
    return kubeconfig_paths(std::getenv("KUBECONFIG"), home != nullptr ? home : "");
}

bool looks_like_kubeconfig(std::string_view yaml) {
    const Json document = parsed_kubeconfig(yaml);
    if (!document) return false;
    if (text_of(document.get(), "kind") == "Config") return true;
    for (const char* key : {"clusters", "users", "contexts"})
        if (named_list(document.get(), key) != nullptr) return true;
    return false;
}

std::vector<std::string> kubeconfig_paths_in_command(const std::vector<std::string>& command) {
    constexpr std::string_view kFlag = "--kubeconfig";
    std::vector<std::string> words;
    for (const std::string& argument : command) {
        std::size_t at = 0;
        while (at < argument.size()) {
            const std::size_t start = argument.find_first_not_of(" \t\n", at);
            if (start == std::string::npos) break;
            const std::size_t end = std::min(argument.find_first_of(" \t\n", start), argument.size());
            std::string word = argument.substr(start, end - start);
            while (!word.empty() && (word.back() == ';' || word.back() == '"' || word.back() == '\'')) word.pop_back();
            while (!word.empty() && (word.front() == '"' || word.front() == '\'')) word.erase(0, 1);
            if (!word.empty()) words.push_back(std::move(word));
            at = end;
        }
    }
    const auto unquoted = [](std::string word) {
        while (!word.empty() && (word.front() == '"' || word.front() == '\'')) word.erase(0, 1);
        return word;
    };
    std::vector<std::string> paths;
    for (std::size_t i = 0; i < words.size(); ++i) {
        std::string path;
        if (words[i] == kFlag && i + 1 < words.size()) path = words[++i];
        else if (words[i].starts_with(std::string(kFlag) + "=")) path = unquoted(words[i].substr(kFlag.size() + 1));
        if (!path.empty()) paths.push_back(std::move(path));
    }
    return paths;
}

}  // namespace askfirst::exec_credentials
