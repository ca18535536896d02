// classifiers/mongodb_commands.h — MongoDB database commands as they travel
// on the wire (OP_MSG, src/database/mongodb_session.h) in, tier out.
//
// The command arrives as a JSON object (libbson's relaxed extended JSON of
// the OP_MSG body, with its document sequences folded in as arrays): the
// first member's name is the command, as mongod reads it. The CRUD commands
// that the Atlas Data API also has (find, aggregate, insert, update, delete,
// findAndModify) are judged by the `mongodb` provider's Data API rules
// (classifiers/mongodb.cpp), reused unchanged through a request rendered in
// that API's shape: so aggregate's $out is destructive and $merge a write on
// the wire exactly as over HTTP. Commands that API does not have are judged
// by a table here (drop, dropDatabase and the other deleting commands
// destructive, introspection and cursor commands reads); a command the table
// does not list is at least a write (invariant 6). A TTL index set by
// createIndexes or collMod deletes the documents older than its TTL: one
// under a day is destructive (flag ttl-expires-now), a longer one a flagged write.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "classifiers/classification.h"

namespace askfirst::classifiers::mongodb {

struct MongoCommandVerdict {
    Tier tier = Tier::write;
    std::string operation;            // the command's name as sent: "find", "drop", "delete"
    std::string collection;           // the first member's value when it names one
    std::vector<std::string> flags;   // "filter-matches-every-document", "unlisted-command", ...
};

// `command_json`: one JSON object, its first member the command. Text that is
// not a non-empty JSON object, and a document with a top-level field twice
// (mongod refuses most, but which one it would read cannot be known here),
// are judged destructive.
MongoCommandVerdict classify_mongodb_command(std::string_view command_json);

}  // namespace askfirst::classifiers::mongodb
