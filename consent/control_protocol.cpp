// consent/control_protocol.cpp — parsing and encoding of control lines (see
// the header and consent/PROTOCOL.md). cJSON does the JSON; this file checks
// the shape of each command strictly and says what is wrong in the error.
#include "consent/control_protocol.h"

#include "src/base/enum_table.h"
#include "consent/cjson_handle.h"

#include <cjson/cJSON.h>

#include <array>
#include <cmath>
#include <memory>
#include <string>

namespace askfirst::consent {

namespace {

struct CommandName {
    ControlCommandKind kind;
    std::string_view name;
};
constexpr std::array<CommandName, 8> kCommandNames{{
    {ControlCommandKind::hello, "hello"},
    {ControlCommandKind::status, "status"},
    {ControlCommandKind::subscribe, "subscribe"},
    {ControlCommandKind::answer, "answer"},
    {ControlCommandKind::grants, "grants"},
    {ControlCommandKind::revoke, "revoke"},
    {ControlCommandKind::set_mode, "set-mode"},
    {ControlCommandKind::audit_tail, "audit-tail"},
}};
static_assert(rows_follow_enum(kCommandNames, &CommandName::kind, ControlCommandKind::audit_tail),
              "one name per ControlCommandKind, in order");
constexpr std::string_view kKnownCommands =
    "hello, status, subscribe, answer, grants, revoke, set-mode, audit-tail";
// audit-tail never sends more than this many lines in one reply.
constexpr std::size_t kMaxAuditTailLines = 1000;

std::optional<std::int64_t> whole_number(const cJSON* item) {
    if (!cJSON_IsNumber(item)) return std::nullopt;
    const double value = item->valuedouble;
    if (value != std::floor(value) || value < 0 || value > 9007199254740991.0) return std::nullopt;
    return static_cast<std::int64_t>(value);
}

ControlError error(std::optional<std::int64_t> request_id, std::string message) {
    return ControlError{request_id, std::move(message)};
}

// Reads a required string member; returns an error message when it is absent.
std::optional<std::string> required_string(const cJSON* root, const char* key, std::string& out) {
    const cJSON* item = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!cJSON_IsString(item) || item->valuestring == nullptr)
        return std::string("'") + key + "' must be a string";
    out = item->valuestring;
    return std::nullopt;
}

std::optional<std::string> required_id(const cJSON* root, const char* key, std::uint64_t& out) {
    auto value = whole_number(cJSON_GetObjectItemCaseSensitive(root, key));
    if (!value) return std::string("'") + key + "' must be a non-negative whole number";
    out = static_cast<std::uint64_t>(*value);
    return std::nullopt;
}

// Fills the command's arguments; returns an error message if one is missing or wrong.
std::optional<std::string> read_arguments(const cJSON* root, ControlCommand& command) {
    switch (command.kind) {
    case ControlCommandKind::hello: {
        auto version = whole_number(cJSON_GetObjectItemCaseSensitive(root, "version"));
        if (!version) return "'version' must be a whole number (this daemon speaks version 1)";
        command.client_version = static_cast<int>(*version);
        return std::nullopt;
    }
    case ControlCommandKind::answer:
        if (auto bad = required_id(root, "question", command.target_id)) return bad;
        return required_string(root, "answer", command.answer);
    case ControlCommandKind::revoke:
        return required_id(root, "grant", command.target_id);
    case ControlCommandKind::set_mode:
        if (auto bad = required_string(root, "provider", command.provider)) return bad;
        return required_string(root, "mode", command.mode);
    case ControlCommandKind::audit_tail: {
        const cJSON* lines = cJSON_GetObjectItemCaseSensitive(root, "lines");
        if (lines == nullptr) return std::nullopt;
        auto count = whole_number(lines);
        if (!count || *count == 0 || static_cast<std::size_t>(*count) > kMaxAuditTailLines)
            return "'lines' must be a whole number from 1 to 1000";
        command.lines = static_cast<std::size_t>(*count);
        return std::nullopt;
    }
    case ControlCommandKind::status:
    case ControlCommandKind::subscribe:
    case ControlCommandKind::grants:
        return std::nullopt;
    }
    return std::nullopt;
}

}  // namespace

std::string_view control_command_name(ControlCommandKind kind) {
    for (const auto& row : kCommandNames)
        if (row.kind == kind) return row.name;
    return "status";
}

ParsedControlLine parse_control_line(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    JsonPtr root(cJSON_ParseWithLength(line.data(), line.size()));
    if (!root) return error(std::nullopt, "not JSON: send one JSON object per line, e.g. {\"cmd\":\"status\"}");
    if (!cJSON_IsObject(root.get())) return error(std::nullopt, "not a JSON object: send {\"cmd\":...}");

    std::optional<std::int64_t> request_id;
    if (const cJSON* id = cJSON_GetObjectItemCaseSensitive(root.get(), "id")) {
        request_id = whole_number(id);
        if (!request_id) return error(std::nullopt, "'id' must be a non-negative whole number");
    }
    const cJSON* cmd = cJSON_GetObjectItemCaseSensitive(root.get(), "cmd");
    if (!cJSON_IsString(cmd) || cmd->valuestring == nullptr)
        return error(request_id, std::string("'cmd' is missing; known commands: ").append(kKnownCommands));

    ControlCommand command;
    command.request_id = request_id;
    bool known = false;
    for (const auto& row : kCommandNames) {
        if (row.name == cmd->valuestring) {
            command.kind = row.kind;
            known = true;
        }
    }
    if (!known)
        return error(request_id, std::string("unknown command '") + cmd->valuestring +
                                     "'; known commands: " + std::string(kKnownCommands));
    if (auto bad = read_arguments(root.get(), command))
        return error(request_id, std::string(control_command_name(command.kind)) + ": " + *bad);
    return command;
}

std::vector<ParsedControlLine> ControlLineReader::feed(std::string_view bytes) {
    std::vector<ParsedControlLine> lines;
    while (!bytes.empty()) {
        const auto newline = bytes.find('\n');
        const auto chunk = bytes.substr(0, newline);
        if (skipping_overlong_) {
            if (newline != std::string_view::npos) skipping_overlong_ = false;
        } else if (partial_.size() + chunk.size() > kMaxControlLineBytes) {
            partial_.clear();
            skipping_overlong_ = newline == std::string_view::npos;
            lines.emplace_back(error(std::nullopt, "line longer than 65536 bytes: refused and skipped"));
        } else if (newline == std::string_view::npos) {
            partial_.append(chunk);
        } else {
            partial_.append(chunk);
            if (!partial_.empty()) lines.push_back(parse_control_line(partial_));
            partial_.clear();
        }
        if (newline == std::string_view::npos) break;
        bytes.remove_prefix(newline + 1);
    }
    return lines;
}

std::string encode_error_reply(const ControlError& failure) {
    JsonPtr reply(cJSON_CreateObject());
    if (failure.request_id) cJSON_AddNumberToObject(reply.get(), "re", static_cast<double>(*failure.request_id));
    cJSON_AddFalseToObject(reply.get(), "ok");
    cJSON_AddStringToObject(reply.get(), "error", failure.message.c_str());
    return print_json(reply.get()) + "\n";
}

std::string encode_ok_reply(std::optional<std::int64_t> request_id, std::string_view body_json) {
    // "re" and "ok" lead the line so a reader can dispatch on them first; the
    // body's members follow, re-printed by cJSON so the line is valid JSON.
    std::string line = "{";
    if (request_id) line += "\"re\":" + std::to_string(*request_id) + ",";
    line += "\"ok\":true";
    if (!body_json.empty()) {
        JsonPtr body(cJSON_ParseWithLength(body_json.data(), body_json.size()));
        if (!body || !cJSON_IsObject(body.get()))
            return encode_error_reply({request_id, "internal error: reply body was not a JSON object"});
        const std::string members = print_json(body.get());
        if (members.size() > 2) line.append(",").append(members.substr(1, members.size() - 2));
    }
    return line + "}\n";
}

std::string encode_question_event(std::string_view question_json) {
    JsonPtr event(cJSON_CreateObject());
    cJSON_AddStringToObject(event.get(), "event", "question");
    cJSON* question = cJSON_ParseWithLength(question_json.data(), question_json.size());
    if (question == nullptr || !cJSON_IsObject(question)) {
        cJSON_Delete(question);
        question = cJSON_CreateNull();  // never a line that is not JSON
    }
    cJSON_AddItemToObject(event.get(), "question", question);
    return print_json(event.get()) + "\n";
}

std::string encode_withdrawn_event(std::uint64_t question) {
    JsonPtr event(cJSON_CreateObject());
    cJSON_AddStringToObject(event.get(), "event", "withdrawn");
    cJSON_AddNumberToObject(event.get(), "question", static_cast<double>(question));
    return print_json(event.get()) + "\n";
}

std::string encode_resolved_event(std::uint64_t question, bool allowed, std::string_view decided_by,
                                  std::optional<std::string_view> answer) {
    JsonPtr event(cJSON_CreateObject());
    cJSON_AddStringToObject(event.get(), "event", "resolved");
    cJSON_AddNumberToObject(event.get(), "question", static_cast<double>(question));
    cJSON_AddBoolToObject(event.get(), "allowed", allowed);
    cJSON_AddStringToObject(event.get(), "decided_by", std::string(decided_by).c_str());
    if (answer) cJSON_AddStringToObject(event.get(), "answer", std::string(*answer).c_str());
    else cJSON_AddNullToObject(event.get(), "answer");
    return print_json(event.get()) + "\n";
}

}  // namespace askfirst::consent
