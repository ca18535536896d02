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

bool parse_one_database(const cJSON& item, const KeyPath& path, DatabaseEndpoint& out, std::string& error) {
    if (!cJSON_IsObject(&item)) {
        error = path.text() + ": must be an object with host, port and protocol";
        return false;
    }
    std::set<std::string> seen;
    for (const cJSON* member = item.child; member != nullptr; member = member->next) {
        const std::string name = member->string;
        const KeyPath member_path = path.child(name);
        if (!seen.insert(name).second) {
            error = member_path.text() + ": duplicate key";
            return false;
        }
        if (name == "host") {
            const char* text = cJSON_GetStringValue(member);
            std::string host = text == nullptr ? "" : text;
            for (char& c : host)
                if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
            if (host.empty() || (!is_valid_host_name(host) && !IpAddress::parse(host))) {
                error = member_path.text() + ": must be a DNS name or an IP address";
                return false;
            }
            out.host = host;
        } else if (name == "port") {
            std::uint64_t port = 0;
            if (!bounded_integer(*member, member_path, 1, 65535, port, error)) return false;
            out.port = static_cast<std::uint16_t>(port);
        } else if (name == "protocol") {
            if (!one_of(*member, member_path, kDatabaseProtocols, out.protocol, error)) return false;
        } else {
            error = member_path.text() + ": unknown key (known: host, port, protocol)";
            return false;
        }
    }
    for (const char* required : {"host", "port", "protocol"}) {
        if (seen.count(required) == 0) {
            error = path.text() + ": missing \"" + required + "\"";
            return false;
        }
    }
    return true;
}

}  // namespace

bool databases(const cJSON& value, const KeyPath& path, std::vector<DatabaseEndpoint>& out, std::string& error) {
    if (!cJSON_IsArray(&value)) {
        error = path.text() + ": must be a list of {\"host\", \"port\", \"protocol\"} objects";
        return false;
    }
    std::set<std::pair<std::string, std::uint16_t>> endpoints;
    std::size_t position = 0;
    for (const cJSON* item = value.child; item != nullptr; item = item->next, ++position) {
        DatabaseEndpoint endpoint;
        if (!parse_one_database(*item, path.index(position), endpoint, error)) return false;
        if (!endpoints.insert({endpoint.host, endpoint.port}).second) {
            error = path.index(position).text() + ": " + endpoint.host + ":" + std::to_string(endpoint.port) +
                    " is listed twice";
            return false;
        }
        out.push_back(std::move(endpoint));
    }
    return true;
}

}  // namespace askfirst::profile_values
