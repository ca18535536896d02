// classifiers/json_members.h — looking at every member of a JSON object that
// carries a given name. A JSON text may repeat a key; cJSON's lookup returns
// the first, while many servers (Go's encoding/json, Ruby's JSON) keep the
// last. A classifier that decides on such a key must look at all of them, or
// `{"type":"power_on","type":"rebuild"}` would pass as the harmless one.
#pragma once

#include <cjson/cJSON.h>

#include <cstring>

namespace askfirst::classifiers {

// Calls visit(member) for each member of `object` named `name`.
template <typename Visit>
void for_each_member_named(const cJSON* object, const char* name, Visit visit) {
    if (object == nullptr || !cJSON_IsObject(object)) return;
    for (const cJSON* member = object->child; member != nullptr; member = member->next)
        if (member->string != nullptr && std::strcmp(member->string, name) == 0) visit(member);
}

// Does any member named `name` satisfy `test`?
template <typename Test>
bool any_member_named(const cJSON* object, const char* name, Test test) {
    bool found = false;
    for_each_member_named(object, name, [&](const cJSON* member) { found = found || test(member); });
    return found;
}

// How many members are named `name`?
inline int count_members_named(const cJSON* object, const char* name) {
    int count = 0;
    for_each_member_named(object, name, [&](const cJSON*) { ++count; });
    return count;
}

}  // namespace askfirst::classifiers
