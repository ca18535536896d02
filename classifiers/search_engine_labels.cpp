// classifiers/search_engine_labels.cpp — Elasticsearch/OpenSearch label rules.
//
// Order of the rules (each one a table below):
//  1. explicit overrides, each with its reason (reset APIs that delete
//     results, a flush that only persists);
//  2. GET/HEAD read, except APIs that act whatever the method (`GET _flush`,
//     `GET _refresh`): those take the name's label;
//  3. DELETE: destructive when the name says delete, else a write
//     (`DELETE /_pit` and `/_search/scroll` only free a context);
//  4. other methods: the verb lexicon on the name; a write-looking name that
//     the specification also serves with GET is a read (its POST form only
//     carries a body: `_field_caps`, `_rank_eval`, `_graph/explore`);
//  5. content escalation: `_bulk` with any `delete` action, update scripts
//     that set `ctx.op = 'delete'`.
#include "classifiers/search_engine_labels.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <iterator>
#include <optional>
#include <utility>

#include "classifiers/json_body.h"
#include "classifiers/verb_lexicon.h"

namespace askfirst::classifiers {
namespace {

// Rule 1 (../shared/corpus/README.md step 4 and classifier-rules.md §9).
constexpr OperationOverride kSearchOverrides[] = {
    {"transform.reset_transform", Tier::destructive, "reset deletes the transform's destination index data and checkpoints"},
    {"ml.reset_job", Tier::destructive, "reset deletes all model state and results of the job"},
    {"features.reset_features", Tier::destructive, "resets features by deleting their system indices"},
    {"ml.delete_expired_data", Tier::destructive, "deletes expired results and model snapshots"},
    {"indices.flush", Tier::write, "flush persists the translog to disk; nothing is lost"},
    {"snapshot.repository_analyze", Tier::write, "writes and removes test blobs in the snapshot repository"},
    {"connector.check_in", Tier::write, "'check' verb but updates the connector's last_seen"},
};

// Rule 2: APIs that run their operation even when sent as GET.
constexpr std::string_view kActsOnGet[] = {
    "indices.flush",
    "indices.refresh",
    "indices.reload_search_analyzers",
    "notifications.send_test",  // sends a real test message to the channel
};

// First words of an action that name a write (the lexicon names only read
// and destructive verbs): with one of these first, the name is verb-first
// ("watcher.activate_watch", "update_by_query") and its last word is an
// object, not the verb.
constexpr std::string_view kSearchWriteVerbs[] = {
    "ack",     "activate", "add",   "cancel", "clear",  "close",   "create", "deactivate",
    "execute", "grant",    "invalidate", "migrate", "open",  "pause", "post",
    "put",     "reload",   "reset", "restore", "resume", "send",   "set",    "start",
    "stop",    "update",   "upgrade",
};

bool contains(std::span<const std::string_view> table, std::string_view word) {
    return std::find(table.begin(), table.end(), word) != table.end();
}

std::string_view action_of(std::string_view api) {
    const auto dot = api.rfind('.');
    return dot == std::string_view::npos ? api : api.substr(dot + 1);
}

std::string_view first_word(std::string_view action) {
    return action.substr(0, action.find('_'));
}

bool is_bulk_api(std::string_view api) { return action_of(api) == "bulk"; }

bool runs_update_script(std::string_view api) {
    const std::string_view action = action_of(api);
    // reindex scripts may set ctx.op = 'delete' too (deletes from the destination);
    // a stored script (put_script) is run later by id by any of them.
    return action == "update" || action == "update_by_query" || action == "reindex" || action == "put_script";
}

// Values of ctx.op that keep the document (Painless update contexts).
constexpr std::string_view kKeepingOps[] = {"index", "noop", "none", "create"};

bool is_identifier_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Past the spaces at `pos`.
std::size_t skip_spaces(std::string_view text, std::size_t pos) {
    while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos]))) ++pos;
    return pos;
}

// The value given at `pos` is one literal that keeps the document, and
// nothing is joined to it ('del' + 'ete' is no literal).
bool gives_keeping_literal(std::string_view text, std::size_t pos) {
    pos = skip_spaces(text, pos);
    if (pos >= text.size() || (text[pos] != '\'' && text[pos] != '"')) return false;
    const std::size_t close = text.find(text[pos], pos + 1);
    if (close == std::string_view::npos) return false;
    const std::string_view value = text.substr(pos + 1, close - pos - 1);
    if (std::find(std::begin(kKeepingOps), std::end(kKeepingOps), value) == std::end(kKeepingOps)) return false;
    const std::size_t next = skip_spaces(text, close + 1);
    return next >= text.size() || std::string_view(";})\n").find(text[next]) != std::string_view::npos;
}

// Does Painless text (decoded) set a document's op to anything but a value
// that keeps it? The op is reached as ctx.op, ctx['op'], ctx.put('op', v) or
// through an alias of ctx (def c = ctx; c.op): every `.op` member and every
// quoted 'op' key counts. Comparing it (==, !=) or reading it keeps the
// document; a value that is not one literal (params.o, 'del' + 'ete') may
// be 'delete' and is judged so.
bool painless_may_delete(std::string_view text) {
    for (std::size_t at = text.find("op"); at != std::string_view::npos; at = text.find("op", at + 1)) {
        const char before = at > 0 ? text[at - 1] : ' ';
        const bool quoted = before == '\'' || before == '"';
        if ((before != '.' && !quoted) || (at + 2 < text.size() && is_identifier_char(text[at + 2]))) continue;
        if (at > 1 && before == '.' && text[at - 2] == '.') continue;  // `..op` is no member
        std::size_t pos = at + 2;
        if (quoted) {
            if (pos >= text.size() || text[pos] != before) continue;
            pos = skip_spaces(text, pos + 1);
            if (pos < text.size() && text[pos] == ']') ++pos;
            else if (pos < text.size() && text[pos] == ',') {  // put('op', value)
                if (!gives_keeping_literal(text, pos + 1)) return true;
                continue;
            }
        }
        pos = skip_spaces(text, pos);
        if (pos >= text.size()) continue;
        const bool compound = pos + 1 < text.size() && text[pos + 1] == '=' &&
                              std::string_view("+-*/|&^").find(text[pos]) != std::string_view::npos;
        if (compound) return true;
        if (text[pos] != '=' || (pos + 1 < text.size() && text[pos + 1] == '=')) continue;  // read or compared
        if (!gives_keeping_literal(text, pos + 1)) return true;
    }
    return false;
}

void collect_strings(const cJSON* json, std::vector<std::string_view>& out, int depth) {
    if (json == nullptr || depth > 64) return;
    if (cJSON_IsString(json) && json->valuestring != nullptr) out.emplace_back(json->valuestring);
    for (const cJSON* child = json->child; child != nullptr; child = child->next) collect_strings(child, out, depth + 1);
}

// Does an update, update_by_query, reindex or stored script set the op of a
// document to delete it (or to a value askfirst cannot read)? Every string
// of the JSON body is read decoded (a script is a JSON string: "\u006fp" is
// "op"); a body that is not JSON is read as text, its escaped quotes undone.
bool script_deletes(std::string_view body) {
    const JsonTree json = parse_json(body);
    if (json) {
        std::vector<std::string_view> strings;
        collect_strings(json.get(), strings, 0);
        return std::any_of(strings.begin(), strings.end(), painless_may_delete);
    }
    std::string unescaped(body);
    for (std::size_t at = unescaped.find('\\'); at != std::string::npos; at = unescaped.find('\\', at))
        unescaped.erase(at, 1), ++at;
    return painless_may_delete(unescaped);
}

// Rule 5 for `_bulk`: action lines alternate with source lines, except that
// `delete` has no source line. Returns the tier; `flags` gets notes.
Tier bulk_tier(std::string_view body, std::vector<std::string>& flags) {
    bool expect_source = false;
    Tier tier = Tier::write;
    std::size_t start = 0;
    while (start < body.size()) {
        std::size_t end = body.find('\n', start);
        if (end == std::string_view::npos) end = body.size();
        std::string_view line = body.substr(start, end - start);
        start = end + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
        if (expect_source) {
            expect_source = false;
            if (script_deletes(line)) {
                flags.emplace_back("update-script-deletes");
                tier = Tier::destructive;
            }
            continue;
        }
        const JsonTree action = parse_json(line);
        const cJSON* first = action && cJSON_IsObject(action.get()) ? action->child : nullptr;
        if (first == nullptr || first->string == nullptr || first->next != nullptr) {
            flags.emplace_back("bulk-unparsed-action");  // could hide a delete
            return Tier::destructive;
        }
        const std::string_view kind = first->string;
        if (kind == "delete") {
            flags.emplace_back("bulk-delete");
            tier = Tier::destructive;
        } else if (kind == "index" || kind == "create" || kind == "update") {
            expect_source = true;
        } else {
            flags.emplace_back("bulk-unknown-action");
            return Tier::destructive;
        }
    }
    return tier;
}

// A lifecycle policy (ILM put_lifecycle, ISM put_policy) deletes the
// indices it manages when it has a delete phase or action: some member named
// `delete` (ILM `phases.delete`, ISM `states[].actions[].delete`).
bool names_delete(const cJSON* json, int depth) {
    if (json == nullptr || depth > 64) return depth > 64;  // too deep to read: assume it does
    for (const cJSON* child = json->child; child != nullptr; child = child->next) {
        if (child->string != nullptr && std::string_view(child->string) == "delete") return true;
        if (names_delete(child, depth + 1)) return true;
    }
    return false;
}

// An Elasticsearch time value ("7d", "12h", "30m", "1s", "500ms", "10micros",
// "5nanos"; a bare number is milliseconds) in milliseconds; nullopt when it
// cannot be read.
std::optional<double> time_value_ms(const cJSON* value) {
    if (cJSON_IsNumber(value)) return value->valuedouble;
    if (!cJSON_IsString(value) || value->valuestring == nullptr) return std::nullopt;
    const std::string_view text = value->valuestring;
    std::size_t digits = 0;
    while (digits < text.size() && (std::isdigit(static_cast<unsigned char>(text[digits])) || text[digits] == '.'))
        ++digits;
    if (digits == 0) return std::nullopt;
    const double number = std::strtod(std::string(text.substr(0, digits)).c_str(), nullptr);
    static constexpr std::pair<std::string_view, double> kUnits[] = {
        {"d", 86400000.0}, {"h", 3600000.0}, {"m", 60000.0}, {"s", 1000.0}, {"ms", 1.0},
        {"micros", 0.001}, {"nanos", 0.000001}, {"", 1.0}};
    for (const auto& [unit, scale] : kUnits)
        if (text.substr(digits) == unit) return number * scale;
    return std::nullopt;
}

// Retention that deletes what is older than it: a data stream's lifecycle
// (PUT _data_stream/{name}/_lifecycle {"data_retention"}) deletes backing
// indices past it; a snapshot lifecycle policy (PUT _slm/policy/{id}
// {"retention": {"expire_after"}}) deletes the policy's snapshots, backups,
// past it. Under a day (or unreadable) it is a deletion now, on MongoDB TTL's
// one-day line: destructive (ttl-expires-now); longer, a flagged write.
Tier retention_tier(std::string_view api, const cJSON* body, std::vector<std::string>& flags) {
    if (body == nullptr) {
        flags.emplace_back("ttl-expires-now");
        return Tier::destructive;
    }
    std::vector<const cJSON*> values;
    if (api == "indices.put_data_lifecycle") {
        if (cJSON_IsFalse(json_member(body, "enabled"))) return Tier::write;
        values = json_members(body, "data_retention");
    } else {
        for (const cJSON* retention : json_members(body, "retention"))
            for (const cJSON* value : json_members(retention, "expire_after")) values.push_back(value);
    }
    Tier tier = Tier::write;
    for (const cJSON* value : values) {
        if (cJSON_IsNull(value)) continue;
        const std::optional<double> ms = time_value_ms(value);
        if (!ms || !(*ms >= 86400000.0)) {
            flags.emplace_back("ttl-expires-now");
            return Tier::destructive;
        }
        tier = Tier::write;
        if (std::find(flags.begin(), flags.end(), "ttl-schedules-deletion") == flags.end())
            flags.emplace_back("ttl-schedules-deletion");
    }
    return tier;
}

bool sets_retention(std::string_view api) { return api == "indices.put_data_lifecycle" || api == "slm.put_lifecycle"; }

bool is_lifecycle_policy_put(std::string_view api) {
    return api == "ilm.put_lifecycle" || api == "ism.put_policy" || api == "ism.put_policies";
}

Tier content_tier(std::string_view api, Tier base, std::string_view body, bool body_complete,
                  std::vector<std::string>& flags) {
    if (!body_complete) return base;  // the registry judges what was not seen
    if (sets_retention(api)) {
        const JsonTree tree = parse_json(body);
        return max_tier(base, retention_tier(api, tree.get(), flags));
    }
    if (is_lifecycle_policy_put(api)) {
        // §9: a write, with a risk flag when it has a delete phase (unreadable: flagged too).
        const JsonTree tree = parse_json(body);
        if (tree == nullptr || names_delete(tree.get(), 0)) flags.emplace_back("lifecycle-deletes-indices");
        return base;
    }
    if (is_bulk_api(api)) return max_tier(base, bulk_tier(body, flags));
    if (runs_update_script(api) && script_deletes(body)) {
        flags.emplace_back("update-script-deletes");
        return Tier::destructive;
    }
    return base;
}

void add_risk_flags(std::string_view api, std::vector<std::string>& flags) {
    if (api == "snapshot.restore" || api == "remote_store.restore") flags.emplace_back("overwrites-indices");
    if (api == "indices.close") flags.emplace_back("index-unavailable");
    if (api == "cluster.put_settings") flags.emplace_back("cluster-settings");
}

}  // namespace

Tier search_api_name_tier(std::string_view api) {
    const std::string_view action = action_of(api);
    const std::string_view first = first_word(action);
    if (const auto tier = verb_word_tier(first)) return *tier;
    if (contains(kSearchWriteVerbs, first)) return Tier::write;
    return tier_from_operation_name(action, NameOrder::noun_first);
}

bool search_api_needs_body(std::string_view api) {
    return is_bulk_api(api) || runs_update_script(api) || is_lifecycle_policy_put(api) || sets_retention(api);
}

SearchLabel label_search_api(std::string_view method, std::string_view api, bool has_get_route,
                             std::string_view body, bool body_complete) {
    SearchLabel label;
    add_risk_flags(api, label.flags);
    if (const OperationOverride* row = find_override(kSearchOverrides, api)) {
        const bool plain_read = (method == "GET" || method == "HEAD") && !contains(kActsOnGet, api);
        label.tier = plain_read ? Tier::read : row->tier;
        return label;
    }
    if ((method == "GET" || method == "HEAD") && !contains(kActsOnGet, api)) {
        label.tier = Tier::read;
        return label;
    }
    if (method == "DELETE") {
        label.tier = api.find("delete") != std::string_view::npos ? Tier::destructive : Tier::write;
        return label;
    }
    Tier tier = search_api_name_tier(api);
    if (tier == Tier::write && has_get_route && !contains(kActsOnGet, api)) tier = Tier::read;
    label.tier = content_tier(api, tier, body, body_complete, label.flags);
    return label;
}

}  // namespace askfirst::classifiers
