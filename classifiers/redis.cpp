// classifiers/redis.cpp — the `redis` provider: Upstash's Redis REST API
// (classifier-rules.md §19; https://upstash.com/docs/redis/features/restapi).
//
// Shapes on https://<db>.upstash.io:
//   POST /            body ["SET","k","v"]                 one command
//   GET|POST /set/k/v path segments are the command        (GET runs it too)
//   POST /set/k       body = the last argument (raw value)
//   POST /pipeline    body [["INCR","c"],["DEL","k"]]     each command
//   POST /multi-exec  same, in a transaction               the most severe
// The command itself is judged by classify_redis_command() (redis_commands.cpp).
// Redis Cloud's management API (api.redislabs.com/v1) is judged by method:
// its DELETEs remove subscriptions, databases and users.
#include <cctype>
#include <cstdio>

#include "classifiers/json_body.h"
#include "classifiers/provider.h"
#include "classifiers/redis_commands.h"
#include "classifiers/url_query.h"

namespace askfirst::classifiers {
namespace {

constexpr std::string_view kUpstashHosts[] = {"*.upstash.io"};
constexpr std::string_view kRedisCloudHosts[] = {"api.redislabs.com"};

// Pipelines are bounded by the body limit; this only caps the work per
// request (Upstash documents no lower limit).
constexpr std::size_t kMaxPipelineCommands = 10000;

std::vector<std::string> path_arguments(std::string_view path) {
    std::vector<std::string> args;
    while (!path.empty()) {
        const std::size_t slash = path.find('/');
        const std::string_view segment = path.substr(0, slash);
        if (!segment.empty()) args.push_back(percent_decode(segment, false));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return args;
}

// A JSON number as Redis would receive it from the client: 0 -> "0".
std::string number_argument(double value) {
    constexpr double kExactIntegerLimit = 9007199254740992.0;  // 2^53: doubles hold integers exactly below
    const bool in_range = value < kExactIntegerLimit && value > -kExactIntegerLimit;  // false for NaN too
    if (in_range && value == static_cast<double>(static_cast<long long>(value)))
        return std::to_string(static_cast<long long>(value));
    char text[32];
    std::snprintf(text, sizeof text, "%.17g", value);
    return text;
}

// A JSON array of strings and numbers as command arguments.
std::optional<std::vector<std::string>> json_command(const cJSON* array) {
    if (!cJSON_IsArray(array)) return std::nullopt;
    std::vector<std::string> args;
    for (const cJSON* item = array->child; item != nullptr; item = item->next) {
        if (cJSON_IsString(item)) args.emplace_back(item->valuestring);
        else if (cJSON_IsNumber(item)) args.push_back(number_argument(item->valuedouble));
        else if (cJSON_IsBool(item)) args.emplace_back(cJSON_IsTrue(item) ? "true" : "false");
        else return std::nullopt;
    }
    return args;
}

Classification unreadable(std::string why) {
    Classification result;
    result.provider = "redis";
    result.operation = "Redis (unreadable request)";
    result.tier = Tier::write;
    result.detail = std::move(why);
    result.flags.push_back("unparsed-command");
    return result;
}

Classification from_verdict(redis::RedisVerdict verdict, std::string_view how) {
    Classification result;
    result.provider = "redis";
    result.operation = std::move(verdict.operation);
    result.tier = verdict.tier;
    result.detail = std::string(how) + ": " + result.operation;
    result.flags = std::move(verdict.flags);
    return result;
}

Classification classify_batch(const HttpRequest& request, std::string_view how) {
    if (request.body.find("\\u0000") != std::string::npos) return unreadable("body holds an escaped NUL");
    const JsonTree tree = parse_json(request.body);
    if (!cJSON_IsArray(tree.get())) return unreadable(std::string(how) + " body is not a JSON array of commands");
    std::vector<std::vector<std::string>> commands;
    for (const cJSON* item = tree->child; item != nullptr; item = item->next) {
        std::optional<std::vector<std::string>> command = json_command(item);
        if (!command || commands.size() >= kMaxPipelineCommands)
            return unreadable(std::string(how) + " holds something other than a command array");
        commands.push_back(std::move(*command));
    }
    return from_verdict(redis::classify_redis_commands(commands), how);
}

Classification classify_upstash(const HttpRequest& request) {
    if (request.path == "/pipeline") return classify_batch(request, "Upstash pipeline");
    if (request.path == "/multi-exec") return classify_batch(request, "Upstash transaction");
    std::vector<std::string> args = path_arguments(request.path);
    if (args.empty()) {
        if (request.method != "POST") return from_verdict({Tier::read, "Upstash REST root", {}}, "Upstash");
        if (request.body.find("\\u0000") != std::string::npos) return unreadable("body holds an escaped NUL");
        const JsonTree tree = parse_json(request.body);
        std::optional<std::vector<std::string>> command = json_command(tree.get());
        if (!command) return unreadable("body is not a JSON command array");
        return from_verdict(redis::classify_redis_command(*command), "Upstash command");
    }
    if (request.method == "POST" && !request.body.empty()) args.push_back(request.body);  // value in the body
    return from_verdict(redis::classify_redis_command(args), "Upstash command (path)");
}

Classification classify_redis_cloud(const HttpRequest& request) {
    Classification result;
    result.provider = "redis";
    result.operation = request.method + " " + request.path;
    result.detail = "Redis Cloud API: " + result.operation;
    if (request.method == "GET" || request.method == "HEAD") result.tier = Tier::read;
    else if (request.method == "DELETE") result.tier = Tier::destructive;
    else result.tier = Tier::write;
    return result;
}

Classification redis_classify(const HttpRequest& request) {
    if (host_matches_any(request.host, kRedisCloudHosts)) return classify_redis_cloud(request);
    return classify_upstash(request);
}

bool redis_matches(const HttpRequest& request) {
    return host_matches_any(request.host, kUpstashHosts) || host_matches_any(request.host, kRedisCloudHosts);
}

// The command is in the body for POST /, /pipeline and /multi-exec. A path
// command's body is only its last argument (often a large value), needed
// only where an argument can change the tier: EVAL's script, EXPIRE's TTL,
// EXPIREAT's time and SET/GETEX's EXAT/PXAT,
// FUNCTION RESTORE's policy, or a container command's subcommand.
bool redis_needs_body(const HttpRequest& head) {
    if (!host_matches_any(head.host, kUpstashHosts) || head.method != "POST") return false;
    const std::vector<std::string> args = path_arguments(head.path);
    if (args.empty() || head.path == "/pipeline" || head.path == "/multi-exec") return true;
    std::string name = args[0];
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name == "eval" || name == "expire" || name == "pexpire" || name == "expireat" || name == "pexpireat" ||
        name == "function")
        return true;
    if (name == "set" || name == "getex") {  // the body is the EXAT/PXAT time only when the path ends with the option
        std::string last = args.back();
        for (char& c : last) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        return last == "EXAT" || last == "PXAT";
    }
    const redis::RedisCommandInfo* info = redis::find_redis_command(name);
    return info != nullptr && (info->flags & redis::kRedisContainer) && args.size() < 2;
}

}  // namespace

extern const Provider kRedisProvider;
const Provider kRedisProvider{"redis", redis_matches, redis_classify, redis_needs_body};

}  // namespace askfirst::classifiers
