// tools/askfirst_consent.cpp — the consent CLI: `askfirst status`, `prompts`,
// `answer`, `grants`, `mode`, `log`. Each speaks only the control protocol
// (consent/PROTOCOL.md) except `log`, which reads the audit file, so that the
// record is readable after askfirstd has gone.
#include <poll.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tools/control_client.h"
#include "tools/subcommands.h"

namespace askfirst::cli {

namespace {

// Names a person recognises, for the question's title.
struct ProviderDisplayName {
    std::string_view provider;
    std::string_view shown;
};
constexpr ProviderDisplayName kProviderDisplayNames[] = {
    {"aws", "AWS"}, {"github", "GitHub"}, {"github-graphql", "GitHub"}, {"gitlab", "GitLab"},
    {"bitbucket", "Bitbucket"}, {"git", "git"}, {"kubernetes", "Kubernetes"}, {"railway", "Railway"},
    {"digitalocean", "DigitalOcean"}, {"elasticsearch", "Elasticsearch"}, {"opensearch", "OpenSearch"},
    {"oci-registry", "a container registry"}, {"sql", "a SQL database"}, {"redis", "Redis"},
    {"tcp", "a raw TCP connection"}, {"generic", "an HTTP service"}, {"llm", "a model API"},
    {"packages", "a package registry"}, {"tls", "a TLS connection"},
};

std::string display_name(std::string_view provider) {
    for (const auto& row : kProviderDisplayNames)
        if (row.provider == provider) return std::string(row.shown);
    return std::string(provider);
}

std::string string_member(const cJSON* object, const char* key) {
    const cJSON* item = cJSON_GetObjectItemCaseSensitive(object, key);
    return cJSON_IsString(item) ? item->valuestring : "";
}

double number_member(const cJSON* object, const char* key) {
    const cJSON* item = cJSON_GetObjectItemCaseSensitive(object, key);
    return cJSON_IsNumber(item) ? item->valuedouble : 0;
}

// Common flags: --name NAME. Returns the remaining positional arguments.
struct CommonOptions {
    std::string name;
    bool json = false;
    bool follow = false;
    std::vector<std::string> positional;
};

bool parse_common(int argc, char** argv, CommonOptions& options, const char* usage) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::printf("%s", usage);
            std::exit(0);
        } else if (arg == "--name" && i + 1 < argc) {
            options.name = argv[++i];
        } else if (arg == "--json") {
            options.json = true;
        } else if (arg == "-f" || arg == "--follow") {
            options.follow = true;
        } else if (arg.starts_with("-") && arg != "-") {
            std::fprintf(stderr, "askfirst %s: unknown option '%s'\n%s", argv[0], argv[i], usage);
            return false;
        } else {
            options.positional.emplace_back(arg);
        }
    }
    return true;
}

std::unique_ptr<ControlConnection> connect_or_explain(const CommonOptions& options, const char* command) {
    auto path = find_control_socket(options.name);
    if (!path) {
        std::fprintf(stderr, "askfirst %s: %s\n", command, path.error().c_str());
        return nullptr;
    }
    auto connection = ControlConnection::open(*path);
    if (!connection) {
        std::fprintf(stderr, "askfirst %s: %s\n", command, connection.error().c_str());
        return nullptr;
    }
    return connection.take();
}

Json request_or_explain(ControlConnection& connection, const char* command, const std::string& cmd, cJSON* args) {
    auto reply = connection.request(cmd, args);
    if (!reply) {
        std::fprintf(stderr, "askfirst %s: %s\n", command, reply.error().c_str());
        return nullptr;
    }
    return reply.take();
}

// ---- status ----

int run_status(int argc, char** argv) {
    CommonOptions options;
    if (!parse_common(argc, argv, options, "usage: askfirst status [--name NAME] [--json]\n")) return 2;
    auto connection = connect_or_explain(options, "status");
    if (!connection) return 1;
    Json reply = request_or_explain(*connection, "status", "status", nullptr);
    if (!reply) return 1;
    if (options.json) {
        std::printf("%s\n", consent::print_json(reply.get()).c_str());
        return 0;
    }
    std::printf("name:     %s\nprofile:  %s\npending:  %.0f question(s)\ngrants:   %.0f\nflows:    %.0f\nmodes:\n",
                string_member(reply.get(), "name").c_str(), string_member(reply.get(), "profile").c_str(),
                number_member(reply.get(), "pending"), number_member(reply.get(), "grants"),
                number_member(reply.get(), "flows"));
    const cJSON* mode = nullptr;
    cJSON_ArrayForEach(mode, cJSON_GetObjectItemCaseSensitive(reply.get(), "modes")) {
        std::printf("  %-16s %s\n", mode->string, cJSON_IsString(mode) ? mode->valuestring : "?");
    }
    if (const std::string warning = string_member(reply.get(), "ca_warning"); !warning.empty())
        std::printf("CA:       %s\n", warning.c_str());
    // Clients in the guest that would not accept askfirst's certificate (newest first).
    const cJSON* refusal = nullptr;
    bool heading = false;
    cJSON_ArrayForEach(refusal, cJSON_GetObjectItemCaseSensitive(reply.get(), "tls_refusals")) {
        if (!heading) std::printf("certificate refusals:\n");
        heading = true;
        std::printf("  %s (%.0f×): %s\n", string_member(refusal, "host").c_str(), number_member(refusal, "count"),
                    string_member(refusal, "advice").c_str());
    }
    return 0;
}

// ---- answer ----

int run_answer(int argc, char** argv) {
    CommonOptions options;
    const char* usage = "usage: askfirst answer [--name NAME] QUESTION-ID once|15m|session|deny\n";
    if (!parse_common(argc, argv, options, usage)) return 2;
    if (options.positional.size() != 2) {
        std::fprintf(stderr, "askfirst answer: give a question id and an answer\n%s", usage);
        return 2;
    }
    char* end = nullptr;
    const unsigned long long id = std::strtoull(options.positional[0].c_str(), &end, 10);
    if (end == options.positional[0].c_str() || *end != '\0') {
        std::fprintf(stderr, "askfirst answer: '%s' is not a question id ('askfirst prompts --json' lists them)\n",
                     options.positional[0].c_str());
        return 2;
    }
    auto connection = connect_or_explain(options, "answer");
    if (!connection) return 1;
    cJSON* args = cJSON_CreateObject();
    cJSON_AddNumberToObject(args, "question", static_cast<double>(id));
    cJSON_AddStringToObject(args, "answer", options.positional[1].c_str());
    Json reply = request_or_explain(*connection, "answer", "answer", args);
    if (!reply) return 1;
    std::printf("question %llu: %s (%.0f request(s) released or refused)\n", id, options.positional[1].c_str(),
                number_member(reply.get(), "resolved"));
    return 0;
}

// ---- grants ----

int run_grants(int argc, char** argv) {
    CommonOptions options;
    const char* usage = "usage: askfirst grants [--name NAME] [--json] [--revoke GRANT-ID]\n";
    std::string revoke;
    std::vector<char*> rest{argv[0]};
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--revoke") == 0 && i + 1 < argc) revoke = argv[++i];
        else rest.push_back(argv[i]);
    }
    if (!parse_common(static_cast<int>(rest.size()), rest.data(), options, usage)) return 2;
    auto connection = connect_or_explain(options, "grants");
    if (!connection) return 1;
    if (!revoke.empty()) {
        cJSON* args = cJSON_CreateObject();
        cJSON_AddNumberToObject(args, "grant", std::strtod(revoke.c_str(), nullptr));
        if (!request_or_explain(*connection, "grants", "revoke", args)) return 1;
        std::printf("grant %s revoked\n", revoke.c_str());
        return 0;
    }
    Json reply = request_or_explain(*connection, "grants", "grants", nullptr);
    if (!reply) return 1;
    const cJSON* grant = nullptr;
    cJSON_ArrayForEach(grant, cJSON_GetObjectItemCaseSensitive(reply.get(), "grants")) {
        if (options.json) {
            std::printf("%s\n", consent::print_json(grant).c_str());
            continue;
        }
        const cJSON* expires = cJSON_GetObjectItemCaseSensitive(grant, "expires_in_s");
        std::string provider = string_member(grant, "provider");
        if (const std::string scope = string_member(grant, "scope"); !scope.empty()) provider += " " + scope;
        std::printf("%4.0f  %-14s %-12s %s\n", number_member(grant, "id"), provider.c_str(),
                    string_member(grant, "level").c_str(),
                    cJSON_IsNumber(expires) ? ("expires in " + std::to_string(static_cast<long>(expires->valuedouble)) + " s").c_str()
                                            : "for the session");
    }
    return 0;
}

// ---- mode ----

int run_mode(int argc, char** argv) {
    CommonOptions options;
    const char* usage =
        "usage: askfirst mode [--name NAME] PROVIDER|default MODE\n"
        "modes: off, block-destructive, prompt-destructive, prompt-writes, block-writes\n";
    if (!parse_common(argc, argv, options, usage)) return 2;
    if (options.positional.size() != 2) {
        std::fprintf(stderr, "askfirst mode: give a provider (or 'default') and a mode\n%s", usage);
        return 2;
    }
    auto connection = connect_or_explain(options, "mode");
    if (!connection) return 1;
    cJSON* args = cJSON_CreateObject();
    cJSON_AddStringToObject(args, "provider", options.positional[0].c_str());
    cJSON_AddStringToObject(args, "mode", options.positional[1].c_str());
    if (!request_or_explain(*connection, "mode", "set-mode", args)) return 1;
    std::printf("%s: %s\n", options.positional[0].c_str(), options.positional[1].c_str());
    return 0;
}

// ---- prompts ----

// Waits for questions and asks each in the terminal (usable over SSH).
// "Don't allow" is the default: an empty line, EOF or anything unknown denies.
bool ask_in_terminal(ControlConnection& connection, const cJSON* question) {
    const std::string tier = string_member(question, "tier");
    std::printf("\nAllow %s on \"%s\" from profile \"%s\"?\n  %s\n", tier.c_str(),
                display_name(string_member(question, "provider")).c_str(), string_member(question, "profile").c_str(),
                string_member(question, "detail").c_str());
    const cJSON* flag = nullptr;
    std::string flags;
    cJSON_ArrayForEach(flag, cJSON_GetObjectItemCaseSensitive(question, "flags")) {
        if (cJSON_IsString(flag)) flags += (flags.empty() ? "" : ", ") + std::string(flag->valuestring);
    }
    if (!flags.empty()) std::printf("  risk: %s\n", flags.c_str());
    std::printf("  [o] allow once  [f] allow 15 min  [s] allow for the session  [D] don't allow: ");
    std::fflush(stdout);
    std::string line;
    if (!std::getline(std::cin, line)) line.clear();
    const char choice = line.empty() ? 'd' : static_cast<char>(std::tolower(static_cast<unsigned char>(line[0])));
    const char* answer = choice == 'o' ? "once" : choice == 'f' ? "15m" : choice == 's' ? "session" : "deny";
    cJSON* args = cJSON_CreateObject();
    cJSON_AddNumberToObject(args, "question", number_member(question, "id"));
    cJSON_AddStringToObject(args, "answer", answer);
    if (auto recorded = connection.request("answer", args); !recorded) {
        std::printf("  (not recorded: %s)\n", recorded.error().c_str());  // e.g. it timed out meanwhile
        return !std::cin.eof();
    }
    std::printf("  -> %s\n", answer);
    return !std::cin.eof();
}

int print_pending_json(ControlConnection& connection, const cJSON* pending) {
    (void)connection;
    const cJSON* question = nullptr;
    cJSON_ArrayForEach(question, pending) std::printf("%s\n", consent::print_json(question).c_str());
    return 0;
}

int run_prompts(int argc, char** argv) {
    CommonOptions options;
    const char* usage =
        "usage: askfirst prompts [--name NAME] [--json]\n"
        "  waits for questions and asks each here; --json prints the pending ones as JSON lines and exits\n";
    if (!parse_common(argc, argv, options, usage)) return 2;
    auto connection = connect_or_explain(options, "prompts");
    if (!connection) return 1;
    Json reply = request_or_explain(*connection, "prompts", "subscribe", nullptr);
    if (!reply) return 1;
    const cJSON* pending = cJSON_GetObjectItemCaseSensitive(reply.get(), "pending");
    if (options.json) return print_pending_json(*connection, pending);

    std::printf("askfirst: waiting for questions (Ctrl-C to stop)\n");
    std::vector<Json> queue;
    const cJSON* question = nullptr;
    cJSON_ArrayForEach(question, pending) queue.emplace_back(cJSON_Duplicate(question, true));
    while (true) {
        while (!queue.empty()) {
            Json next = std::move(queue.front());
            queue.erase(queue.begin());
            if (!ask_in_terminal(*connection, next.get())) return 0;
        }
        bool closed = false;
        Json event = connection->next_event(-1, closed);
        if (closed) {
            std::printf("askfirst: askfirstd has gone; no more questions\n");
            return 0;
        }
        if (event && string_member(event.get(), "event") == "question")
            queue.emplace_back(cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(event.get(), "question"), true));
    }
}

// ---- log ----

std::string audit_log_path(const std::string& name) {
    const char* state = std::getenv("XDG_STATE_HOME");
    const char* home = std::getenv("HOME");
    std::string base = state != nullptr && state[0] == '/' ? state : std::string(home ? home : "") + "/.local/state";
    return base + "/askfirst/audit/" + name + ".jsonl";
}

void print_audit_line(const std::string& line, bool json) {
    Json record(cJSON_Parse(line.c_str()));
    if (!record) return;  // a torn line (askfirstd killed mid-write, see consent/audit_log.h): not a record
    if (json) {
        std::printf("%s\n", line.c_str());
        return;
    }
    std::printf("%s  %-8s %-10s %-13s %s\n", string_member(record.get(), "time").c_str(),
                string_member(record.get(), "decision").c_str(), string_member(record.get(), "decided_by").c_str(),
                string_member(record.get(), "provider").c_str(), string_member(record.get(), "operation").c_str());
}

int run_log(int argc, char** argv) {
    CommonOptions options;
    const char* usage = "usage: askfirst log [--name NAME] [-f] [--json]\n";
    if (!parse_common(argc, argv, options, usage)) return 2;
    std::string name = options.name;
    if (name.empty()) {
        auto socket = find_control_socket("");
        if (!socket) {
            std::fprintf(stderr, "askfirst log: %s\n", socket.error().c_str());
            return 1;
        }
        const auto slash = socket->rfind('/');
        name = socket->substr(slash + 1, socket->size() - slash - 1 - 5);  // drop ".sock"
    }
    const std::string path = audit_log_path(name);
    std::ifstream file(path);
    if (!file) {
        std::fprintf(stderr, "askfirst log: no audit log at %s (no decision yet, or another --name)\n", path.c_str());
        return 1;
    }
    std::string line;
    while (true) {
        while (std::getline(file, line)) {
            if (file.eof()) {  // no '\n' after it: maybe still being written
                file.clear();
                file.seekg(-static_cast<std::streamoff>(line.size()), std::ios::cur);
                break;
            }
            print_audit_line(line, options.json);
        }
        std::fflush(stdout);
        if (!options.follow) return 0;
        file.clear();
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
}

}  // namespace

int run_consent_status(int argc, char** argv) { return run_status(argc, argv); }
int run_consent_answer(int argc, char** argv) { return run_answer(argc, argv); }
int run_consent_grants(int argc, char** argv) { return run_grants(argc, argv); }
int run_consent_mode(int argc, char** argv) { return run_mode(argc, argv); }
int run_consent_prompts(int argc, char** argv) { return run_prompts(argc, argv); }
int run_consent_log(int argc, char** argv) { return run_log(argc, argv); }

}  // namespace askfirst::cli
