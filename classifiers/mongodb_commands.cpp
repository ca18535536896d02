// classifiers/mongodb_commands.cpp — MongoDB wire commands judged (see the
// header): CRUD through the Data API rules of classifiers/mongodb.cpp, the
// rest through the tables below.
//
// Command names and fields: the MongoDB server's database command reference,
// https://www.mongodb.com/docs/manual/reference/command/ (names are matched
// exactly, as mongod does; its lower-case aliases are listed where it has them).
#include "classifiers/mongodb_commands.h"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <optional>
#include <set>

#include "classifiers/json_body.h"
#include "classifiers/provider.h"

namespace askfirst::classifiers {
extern const Provider kMongodbProvider;
}

namespace askfirst::classifiers::mongodb {

namespace {

// Commands that change nothing: introspection, connection and cursor
// handling, authentication. commitTransaction/abortTransaction only end what
// was judged statement by statement; explain plans but does not run a write.
constexpr std::string_view kReadCommands[] = {
    "hello", "isMaster", "ismaster", "ping", "buildInfo", "buildinfo", "listCollections", "listDatabases",
    "listIndexes", "listSearchIndexes", "count", "distinct", "dbStats", "collStats", "serverStatus", "getMore",
    "killCursors", "endSessions", "startSession", "refreshSessions", "saslStart", "saslContinue", "authenticate",
    "getnonce", "logout", "connectionStatus", "getLastError", "getlasterror", "whatsmyuri", "explain",
    "getParameter", "hostInfo", "getCmdLineOpts", "getLog", "currentOp", "listCommands", "dataSize", "dbHash",
    "validate", "replSetGetStatus", "usersInfo", "rolesInfo", "commitTransaction", "abortTransaction",
    "getClusterParameter", "lockInfo", "top", "profile_status", "getDefaultRWConcern", "connPoolStats",
};

// Commands that delete data, users or roles, or can do anything (applyOps).
constexpr std::string_view kDestructiveCommands[] = {
    "drop", "dropDatabase", "dropIndexes", "deleteIndexes", "dropSearchIndex", "dropUser",
    "dropAllUsersFromDatabase", "dropRole", "dropAllRolesFromDatabase", "applyOps", "shutdown", "emptycapped",
    "convertToCapped", "removeShard", "cleanupOrphaned", "delete",
};

bool listed(std::span<const std::string_view> names, std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

MongoCommandVerdict worst(std::string operation, std::string flag) {
    MongoCommandVerdict verdict;
    verdict.tier = Tier::destructive;
    verdict.operation = std::move(operation);
    verdict.flags.push_back(std::move(flag));
    return verdict;
}

bool has_duplicate_field(const cJSON* object) {
    std::set<std::string_view> seen;
    for (const cJSON* member = object->child; member != nullptr; member = member->next)
        if (!seen.insert(member->string).second) return true;
    return false;
}

bool is_empty_object(const cJSON* value) { return value == nullptr || (cJSON_IsObject(value) && value->child == nullptr); }

bool is_one(const cJSON* value) { return cJSON_IsNumber(value) && value->valuedouble == 1; }

// A flag as mongod reads one (its IDL "safeBool"): true, or any number but 0.
// `{"remove": 1}` deletes as surely as `{"remove": true}`.
bool is_set(const cJSON* command, const char* name) {
    const cJSON* value = json_member(command, name);
    return cJSON_IsTrue(value) || (cJSON_IsNumber(value) && value->valuedouble != 0);
}

// The Data API body: {"database", "collection", "filter"?, "pipeline"?}.
struct DataApiCall {
    std::string action;
    JsonTree body{cJSON_CreateObject()};
};

// The command in the Data API's words, or no action when it has none.
DataApiCall data_api_call(std::string_view name, const cJSON* command) {
    DataApiCall call;
    auto add = [&](const char* key, const cJSON* value) {
        if (value != nullptr) cJSON_AddItemToObject(call.body.get(), key, cJSON_Duplicate(value, true));
    };
    add("database", json_member(command, "$db"));
    add("collection", command->child);
    if (name == "find") {
        call.action = "find";
        add("filter", json_member(command, "filter"));
    } else if (name == "aggregate") {
        call.action = "aggregate";
        add("pipeline", json_member(command, "pipeline"));
    } else if (name == "insert") {
        call.action = "insertMany";
    } else if (name == "update") {
        call.action = "updateOne";
        const cJSON* updates = json_member(command, "updates");
        for (const cJSON* one = updates ? updates->child : nullptr; one != nullptr; one = one->next)
            if (is_set(one, "multi")) call.action = "updateMany";
    } else if (name == "delete") {
        // Any entry with limit 0 deletes every match; an empty filter in any
        // entry is the one the flag names.
        call.action = "deleteOne";
        const cJSON* deletes = json_member(command, "deletes");
        bool empty_filter = false;
        for (const cJSON* one = deletes ? deletes->child : nullptr; one != nullptr; one = one->next) {
            if (!is_one(json_member(one, "limit"))) call.action = "deleteMany";
            if (is_empty_object(json_member(one, "q"))) empty_filter = true;
        }
        if (!empty_filter) add("filter", deletes && deletes->child ? json_member(deletes->child, "q") : nullptr);
        else cJSON_AddItemToObject(call.body.get(), "filter", cJSON_CreateObject());
    } else if (name == "findAndModify" || name == "findandmodify") {
        call.action = is_set(command, "remove") ? "deleteOne" : "updateOne";
        add("filter", json_member(command, "query"));
    }
    return call;
}

MongoCommandVerdict through_data_api(std::string_view name, DataApiCall call) {
    HttpRequest request;
    request.method = "POST";
    request.host = "data.mongodb-api.com";
    request.path = "/app/askfirst-wire/endpoint/data/v1/action/" + call.action;
    char* printed = cJSON_PrintUnformatted(call.body.get());
    request.body = printed == nullptr ? "" : printed;
    cJSON_free(printed);
    const Classification judged = kMongodbProvider.classify(request);
    MongoCommandVerdict verdict;
    verdict.tier = judged.tier;
    verdict.operation = std::string(name);
    verdict.flags = judged.flags;
    return verdict;
}

// mapReduce writes its output unless it is inline; `replace` (the default
// for a collection name) replaces the target collection.
Tier map_reduce_tier(const cJSON* command) {
    const cJSON* out = json_member(command, "out");
    if (cJSON_IsObject(out) && json_member(out, "inline") != nullptr) return Tier::read;
    if (cJSON_IsObject(out) && (json_member(out, "merge") != nullptr || json_member(out, "reduce") != nullptr))
        return Tier::write;
    return Tier::destructive;
}

// bulkWrite (MongoDB 8.0, on admin): destructive when any operation deletes.
Tier bulk_write_tier(const cJSON* command) {
    const cJSON* ops = json_member(command, "ops");
    for (const cJSON* op = ops ? ops->child : nullptr; op != nullptr; op = op->next)
        if (json_member(op, "delete") != nullptr) return Tier::destructive;
    return Tier::write;
}

// TTL indexes (createIndexes, collMod): mongod's TTL monitor deletes, about
// once a minute, every document whose indexed date is older than
// expireAfterSeconds. On a collection that already holds documents a TTL of
// 0 deletes every dated one; a short one all but the newest. Under a day is
// judged a deletion now; longer, a flagged write (it still deletes what is
// older). https://www.mongodb.com/docs/manual/core/index-ttl/
constexpr double kShortTtlSeconds = 24 * 60 * 60;

// The TTL as mongod reads it: a number, or extended JSON's {"$numberInt" |
// "$numberLong" | "$numberDouble" | "$numberDecimal": "..."}; nothing (NaN)
// for what cannot be read. "off" (collMod of a clustered collection) is no TTL.
std::optional<double> ttl_seconds(const cJSON* value) {
    if (cJSON_IsNumber(value)) return value->valuedouble;
    if (cJSON_IsString(value) && std::string_view(value->valuestring) == "off") return std::nullopt;
    if (cJSON_IsObject(value) && value->child != nullptr && value->child->next == nullptr &&
        cJSON_IsString(value->child)) {
        const std::string_view type = value->child->string;
        if (type == "$numberInt" || type == "$numberLong" || type == "$numberDouble" || type == "$numberDecimal") {
            char* end = nullptr;
            const double parsed = std::strtod(value->child->valuestring, &end);
            if (end != value->child->valuestring && *end == '\0') return parsed;
        }
    }
    return std::numeric_limits<double>::quiet_NaN();
}

// Every TTL the command sets: each index of createIndexes, collMod's index
// and its top-level TTL (clustered and time-series collections).
std::vector<double> ttls_set(std::string_view name, const cJSON* command) {
    std::vector<double> ttls;
    auto note = [&](const cJSON* holder) {
        const cJSON* value = json_member(holder, "expireAfterSeconds");
        if (value == nullptr) return;
        if (const auto seconds = ttl_seconds(value)) ttls.push_back(*seconds);
    };
    if (name == "createIndexes") {
        const cJSON* indexes = json_member(command, "indexes");
        for (const cJSON* index = indexes ? indexes->child : nullptr; index != nullptr; index = index->next) note(index);
    } else if (name == "collMod") {
        note(command);
        note(json_member(command, "index"));
    }
    return ttls;
}

void judge_ttls(std::string_view name, const cJSON* command, MongoCommandVerdict& verdict) {
    for (const double seconds : ttls_set(name, command)) {
        if (!(seconds >= kShortTtlSeconds)) {  // NaN too
            verdict.tier = Tier::destructive;
            verdict.flags.push_back("ttl-expires-now");
            return;
        }
        verdict.flags.push_back("ttl-deletes-older-documents");
    }
}

MongoCommandVerdict from_tables(std::string_view name, const cJSON* command) {
    MongoCommandVerdict verdict;
    verdict.operation = std::string(name);
    if (listed(kReadCommands, name)) verdict.tier = Tier::read;
    else if (listed(kDestructiveCommands, name)) verdict.tier = Tier::destructive;
    else if (name == "mapReduce" || name == "mapreduce") verdict.tier = map_reduce_tier(command);
    else if (name == "bulkWrite") verdict.tier = bulk_write_tier(command);
    else if (name == "renameCollection")
        verdict.tier = is_set(command, "dropTarget") ? Tier::destructive : Tier::write;
    else {
        verdict.tier = Tier::write;
        verdict.flags.push_back("unlisted-command");
    }
    if (name == "renameCollection" && is_set(command, "dropTarget")) verdict.flags.push_back("drops-target");
    judge_ttls(name, command, verdict);
    return verdict;
}

}  // namespace

MongoCommandVerdict classify_mongodb_command(std::string_view command_json) {
    const JsonTree command = parse_json(command_json);
    if (!command || !cJSON_IsObject(command.get()) || command->child == nullptr)
        return worst("unreadable command", "unparsed-command");
    const std::string name = command->child->string;
    if (has_duplicate_field(command.get())) return worst(name, "duplicate-field");
    DataApiCall call = data_api_call(name, command.get());
    MongoCommandVerdict verdict = call.action.empty() ? from_tables(name, command.get())
                                                      : through_data_api(name, std::move(call));
    if (cJSON_IsString(command->child)) verdict.collection = command->child->valuestring;
    return verdict;
}

}  // namespace askfirst::classifiers::mongodb
