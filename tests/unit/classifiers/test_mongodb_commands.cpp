// tests/unit/classifiers/test_mongodb_commands.cpp — MongoDB wire commands
// (classifiers/mongodb_commands.h) as named table rows: the CRUD commands
// judged by the Data API rules of the mongodb provider, the rest by the
// command table, and what is judged the worst it could be.
#include <doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "classifiers/mongodb_commands.h"

using askfirst::classifiers::Tier;
using askfirst::classifiers::mongodb::classify_mongodb_command;

TEST_CASE("mongodb wire commands: tier, operation and flags per command") {
    struct Row {
        const char* name;
        const char* command;
        Tier tier;
        const char* operation;
        const char* flag = nullptr;  // a flag the verdict must carry
    };
    const Row rows[] = {
        {"find is a read", R"({"find": "orders", "filter": {"sku": "A-1"}, "$db": "shop"})", Tier::read, "find"},
        {"aggregate is a read", R"({"aggregate": "orders", "pipeline": [{"$match": {}}], "cursor": {}, "$db": "shop"})",
         Tier::read, "aggregate"},
        {"aggregate with $out replaces a collection", R"({"aggregate": "orders", "pipeline": [{"$out": "old"}], "$db": "shop"})",
         Tier::destructive, "aggregate", "$out-replaces-collection"},
        {"aggregate with $merge writes", R"({"aggregate": "orders", "pipeline": [{"$merge": {"into": "x"}}], "$db": "shop"})",
         Tier::write, "aggregate", "$merge-writes-collection"},
        {"insert is a write", R"({"insert": "orders", "documents": [{"_id": 1}], "$db": "shop"})", Tier::write, "insert"},
        {"update is a write", R"({"update": "orders", "updates": [{"q": {}, "u": {"$set": {"a": 1}}, "multi": true}], "$db": "shop"})",
         Tier::write, "update", "filter-matches-every-document"},
        {"delete with an empty filter is destructive", R"({"delete": "orders", "deletes": [{"q": {}, "limit": 0}], "$db": "shop"})",
         Tier::destructive, "delete", "filter-matches-every-document"},
        {"delete of one matching document is destructive",
         R"({"delete": "orders", "deletes": [{"q": {"_id": 1}, "limit": 1}], "$db": "shop"})", Tier::destructive, "delete"},
        {"findAndModify with remove deletes", R"({"findAndModify": "orders", "query": {"_id": 1}, "remove": true, "$db": "shop"})",
         Tier::destructive, "findAndModify"},
        {"findAndModify with remove: 1 deletes as surely (mongod reads numbers as flags)",
         R"({"findAndModify": "orders", "query": {}, "remove": 1, "$db": "shop"})", Tier::destructive, "findAndModify"},
        {"renameCollection with dropTarget: 1 drops the target",
         R"({"renameCollection": "shop.a", "to": "shop.b", "dropTarget": 1, "$db": "admin"})", Tier::destructive,
         "renameCollection", "drops-target"},
        {"findAndModify with remove: 0 does not delete",
         R"({"findAndModify": "orders", "query": {}, "remove": 0, "update": {}, "$db": "shop"})", Tier::write, "findAndModify"},
        {"findAndModify with an update writes", R"({"findAndModify": "orders", "query": {}, "update": {"$inc": {"n": 1}}, "$db": "shop"})",
         Tier::write, "findAndModify"},
        {"drop is destructive", R"({"drop": "orders", "$db": "shop"})", Tier::destructive, "drop"},
        {"dropDatabase is destructive", R"({"dropDatabase": 1, "$db": "shop"})", Tier::destructive, "dropDatabase"},
        {"dropIndexes is destructive", R"({"dropIndexes": "orders", "index": "*", "$db": "shop"})", Tier::destructive, "dropIndexes"},
        {"renameCollection over a target drops it",
         R"({"renameCollection": "shop.a", "to": "shop.b", "dropTarget": true, "$db": "admin"})", Tier::destructive,
         "renameCollection", "drops-target"},
        {"renameCollection alone writes", R"({"renameCollection": "shop.a", "to": "shop.b", "$db": "admin"})", Tier::write,
         "renameCollection"},
        {"bulkWrite with a delete is destructive",
         R"({"bulkWrite": 1, "ops": [{"insert": 0, "document": {}}, {"delete": 0, "filter": {}}], "$db": "admin"})",
         Tier::destructive, "bulkWrite"},
        {"mapReduce inline reads", R"({"mapReduce": "orders", "map": "f", "reduce": "g", "out": {"inline": 1}, "$db": "shop"})",
         Tier::read, "mapReduce"},
        {"mapReduce into a collection replaces it", R"({"mapReduce": "orders", "map": "f", "reduce": "g", "out": "o", "$db": "shop"})",
         Tier::destructive, "mapReduce"},
        // Red team 4: a TTL index deletes, within a minute, every document whose
        // date is older than expireAfterSeconds: 0 (or a short TTL) on an existing
        // collection deletes nearly all of it. Each was an unlisted write.
        {"createIndexes with a TTL of 0 deletes every dated document",
         R"({"createIndexes": "orders", "indexes": [{"key": {"created": 1}, "name": "created_1", "expireAfterSeconds": 0}], "$db": "shop"})",
         Tier::destructive, "createIndexes", "ttl-expires-now"},
        {"createIndexes with a one-minute TTL among other indexes",
         R"({"createIndexes": "orders", "indexes": [{"key": {"a": 1}, "name": "a_1"}, {"key": {"t": 1}, "name": "t_1", "expireAfterSeconds": 60}], "$db": "shop"})",
         Tier::destructive, "createIndexes", "ttl-expires-now"},
        {"a TTL given as canonical extended JSON is read",
         R"({"createIndexes": "orders", "indexes": [{"key": {"t": 1}, "name": "t_1", "expireAfterSeconds": {"$numberLong": "0"}}], "$db": "shop"})",
         Tier::destructive, "createIndexes", "ttl-expires-now"},
        {"a TTL that is not a number is the worst it could be",
         R"({"createIndexes": "orders", "indexes": [{"key": {"t": 1}, "name": "t_1", "expireAfterSeconds": {"$numberDouble": "NaN"}}], "$db": "shop"})",
         Tier::destructive, "createIndexes", "ttl-expires-now"},
        {"collMod shortening an index's TTL to 0",
         R"({"collMod": "orders", "index": {"keyPattern": {"created": 1}, "expireAfterSeconds": 0}, "$db": "shop"})",
         Tier::destructive, "collMod", "ttl-expires-now"},
        {"collMod of a clustered collection's TTL to 10 seconds",
         R"({"collMod": "events", "expireAfterSeconds": 10, "$db": "shop"})", Tier::destructive, "collMod", "ttl-expires-now"},
        {"a 30-day TTL index is a flagged write",
         R"({"createIndexes": "sessions", "indexes": [{"key": {"t": 1}, "name": "t_1", "expireAfterSeconds": 2592000}], "$db": "shop"})",
         Tier::write, "createIndexes", "ttl-deletes-older-documents"},
        {"collMod turning a clustered collection's TTL off writes",
         R"({"collMod": "events", "expireAfterSeconds": "off", "$db": "shop"})", Tier::write, "collMod"},
        {"createIndexes without a TTL writes",
         R"({"createIndexes": "orders", "indexes": [{"key": {"a": 1}, "name": "a_1"}], "$db": "shop"})", Tier::write,
         "createIndexes"},
        {"hello is a read", R"({"hello": 1, "client": {"driver": {"name": "PyMongo"}}, "$db": "admin"})", Tier::read, "hello"},
        {"isMaster is a read", R"({"isMaster": 1, "$db": "admin"})", Tier::read, "isMaster"},
        {"a command the table does not list is a write", R"({"createIndexes": "orders", "indexes": [], "$db": "shop"})",
         Tier::write, "createIndexes", "unlisted-command"},
        {"names are matched as mongod matches them: DROP is not drop, and not a read",
         R"({"DROP": "orders", "$db": "shop"})", Tier::write, "DROP", "unlisted-command"},
        {"a field given twice is the worst it could be", R"({"find": "orders", "filter": {}, "filter": {}, "$db": "shop"})",
         Tier::destructive, "find", "duplicate-field"},
        {"not JSON is the worst it could be", R"({"find": )", Tier::destructive, "unreadable command", "unparsed-command"},
        {"an empty document is the worst it could be", "{}", Tier::destructive, "unreadable command", "unparsed-command"},
    };
    for (const auto& row : rows) {
        CAPTURE(row.name);
        const auto verdict = classify_mongodb_command(row.command);
        CHECK(verdict.tier == row.tier);
        CHECK(verdict.operation == row.operation);
        if (row.flag != nullptr)
            CHECK(std::find(verdict.flags.begin(), verdict.flags.end(), row.flag) != verdict.flags.end());
    }
}

TEST_CASE("mongodb wire commands: the collection is the first member's value") {
    CHECK(classify_mongodb_command(R"({"drop": "orders", "$db": "shop"})").collection == "orders");
    CHECK(classify_mongodb_command(R"({"dropDatabase": 1, "$db": "shop"})").collection.empty());
}
