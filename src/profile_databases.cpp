// src/profile_databases.cpp — the profile's `databases` list: database
// endpoints named by the operator, for the flow pipeline
// (src/intercepting_pipeline.cpp): a flow to a listed endpoint is read as
// its protocol says. A server-speaks-first protocol (mysql) is dialed at
// once instead of after the who-speaks-first wait (tls::kServerSpeaksFirstTimeout); and a flow whose
// first bytes are not that protocol is refused rather than relayed unread.
//
//   "databases": [{"host": "db.internal", "port": 5432, "protocol": "postgres"}]
//
// Strict like every key: host a DNS name or an IP address, port 1..65535,
// protocol one of those askfirst reads; an unknown member or a duplicate
// endpoint stops startup with its path.
#include <set>

#include <cJSON.h>

#include "src/profile.h"
#include "src/profile_values.h"

namespace askfirst::profile_values {

namespace {

constexpr std::string_view kDatabaseProtocols[] = {"postgres", "mysql", "redis", "mongodb"};

// `host`: lower-cased; a DNS name or an IP address.
Result<std::string> database_host(const cJSON& member, const KeyPath& member_path) {
    const char* text = cJSON_GetStringValue(&member);
    std::string host = text == nullptr ? "" : text;
    for (char& c : host)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (host.empty() || (!is_valid_host_name(host) && !IpAddress::parse(host)))
        return Result<std::string>::failure(member_path.text() + ": must be a DNS name or an IP address");
    return Result<std::string>::success(std::move(host));
}

// One member of a database entry, stored in `out`.
Status parse_database_member(const cJSON& member, const KeyPath& member_path, DatabaseEndpoint& out) {
    const std::string_view name = member.string;
    if (name == "host") return store(database_host(member, member_path), out.host);
    if (name == "protocol") return store(one_of(member, member_path, kDatabaseProtocols), out.protocol);
    if (name == "port") {
        const auto port = bounded_integer(member, member_path, 1, 65535);
        if (!port) return Status::failure(port.error());
        out.port = static_cast<std::uint16_t>(*port);
        return ok_status();
    }
    return Status::failure(member_path.text() + ": unknown key (known: host, port, protocol)");
}

Result<DatabaseEndpoint> parse_one_database(const cJSON& item, const KeyPath& path) {
    using Parsed = Result<DatabaseEndpoint>;
    if (!cJSON_IsObject(&item)) return Parsed::failure(path.text() + ": must be an object with host, port and protocol");
    DatabaseEndpoint endpoint;
    std::set<std::string> seen;
    for (const cJSON* member = item.child; member != nullptr; member = member->next) {
        const KeyPath member_path = path.child(member->string);
        if (!seen.insert(member->string).second) return Parsed::failure(member_path.text() + ": duplicate key");
        if (auto stored = parse_database_member(*member, member_path, endpoint); !stored)
            return Parsed::failure(stored.error());
    }
    for (const char* required : {"host", "port", "protocol"})
        if (seen.count(required) == 0) return Parsed::failure(path.text() + ": missing \"" + required + "\"");
    return Parsed::success(std::move(endpoint));
}

}  // namespace

Result<std::vector<DatabaseEndpoint>> databases(const cJSON& value, const KeyPath& path) {
    using List = Result<std::vector<DatabaseEndpoint>>;
    if (!cJSON_IsArray(&value))
        return List::failure(path.text() + ": must be a list of {\"host\", \"port\", \"protocol\"} objects");
    std::vector<DatabaseEndpoint> listed;
    std::set<std::pair<std::string, std::uint16_t>> endpoints;
    std::size_t position = 0;
    for (const cJSON* item = value.child; item != nullptr; item = item->next, ++position) {
        auto endpoint = parse_one_database(*item, path.index(position));
        if (!endpoint) return List::failure(endpoint.error());
        if (!endpoints.insert({endpoint->host, endpoint->port}).second)
            return List::failure(path.index(position).text() + ": " + endpoint->host + ":" +
                                 std::to_string(endpoint->port) + " is listed twice");
        listed.push_back(endpoint.take());
    }
    return List::success(std::move(listed));
}

}  // namespace askfirst::profile_values
