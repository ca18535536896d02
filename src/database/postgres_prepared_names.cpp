// src/database/postgres_prepared_names.cpp — the server's statement and
// portal names, changed only by what the server confirmed (see the header).
#include "src/database/postgres_prepared_names.h"

namespace askfirst::database::pg {

namespace {

// Adds what a name may stand for to the worst-of list being built. Lookups
// walk from the newest change back: an older possibility goes first, so the
// texts read in the order the guest sent them.
enum class Older : bool { no, yes };
void add_possibility(std::optional<PreparedTexts>& into, const PreparedTexts& possible, Older older = Older::yes) {
    if (!into) {
        into = possible;
        return;
    }
    into->texts.insert(older == Older::yes ? into->texts.begin() : into->texts.end(), possible.texts.begin(),
                       possible.texts.end());
    if (!possible.complete && into->complete) {
        into->complete = false;
        into->why_incomplete = possible.why_incomplete;
    }
}

PreparedTexts not_seen_parsed(std::string_view statement) {
    return PreparedTexts{{}, false, "a Bind of statement \"" + std::string(statement) + "\" that askfirst did not see Parsed"};
}

PreparedTexts maybe_sql_prepared(std::string_view statement) {
    return PreparedTexts{{}, false, "statement \"" + std::string(statement) + "\" may have been prepared by SQL PREPARE"};
}

}  // namespace

std::string PreparedNames::key(std::string_view name) { return std::string(name.substr(0, kMaxNameBytes)); }

void PreparedNames::parsed(std::uint64_t unit, std::string_view statement, PreparedTexts texts) {
    pending_.push_back(PendingChange{Change::parse, unit, key(statement), {}, std::move(texts)});
}

void PreparedNames::bound(std::uint64_t unit, std::string_view portal, std::string_view statement) {
    pending_.push_back(PendingChange{Change::bind, unit, key(portal), key(statement), {}});
}

void PreparedNames::closed_statement(std::uint64_t unit, std::string_view statement) {
    pending_.push_back(PendingChange{Change::close_statement, unit, key(statement), {}, {}});
}

void PreparedNames::closed_portal(std::uint64_t unit, std::string_view portal) {
    pending_.push_back(PendingChange{Change::close_portal, unit, key(portal), {}, {}});
}

bool PreparedNames::server_confirmed() {
    if (pending_.empty()) return false;
    PendingChange done = std::move(pending_.front());
    pending_.pop_front();
    switch (done.change) {
    case Change::parse: statements_[done.name] = std::move(done.texts); break;
    case Change::bind: {
        // Every change before it is answered: the confirmed tables are the server's.
        const auto found = statements_.find(done.statement);
        std::optional<PreparedTexts> bound = found == statements_.end() ? not_seen_parsed(done.statement) : found->second;
        if (!done.statement.empty() && sql_prepare_seen_) add_possibility(bound, maybe_sql_prepared(done.statement), Older::no);
        portals_[done.name] = std::move(*bound);
        break;
    }
    case Change::close_statement: statements_.erase(done.name); break;
    case Change::close_portal: portals_.erase(done.name); break;
    }
    return true;
}

void PreparedNames::units_ended(std::uint64_t answered_units) {
    while (!pending_.empty() && pending_.front().unit < answered_units) pending_.pop_front();
}

std::optional<PreparedTexts> PreparedNames::statement_at(std::string_view statement, std::uint64_t unit,
                                                         std::size_t before) const {
    const std::string name = key(statement);
    std::optional<PreparedTexts> possible;
    for (std::size_t i = before; i-- > 0;) {
        const PendingChange& change = pending_[i];
        if (change.name != name || (change.change != Change::parse && change.change != Change::close_statement))
            continue;
        const bool certain = change.unit == unit;  // done if what is looked up for runs at all
        if (change.change == Change::close_statement) {
            if (certain) return possible;
            continue;
        }
        add_possibility(possible, change.texts);
        // The unnamed statement is replaced by a Parse; a named one Parsed again is refused: keep both.
        if (certain && name.empty()) return possible;
    }
    const auto found = statements_.find(name);
    if (found != statements_.end()) add_possibility(possible, found->second);
    if (!name.empty() && sql_prepare_seen_) add_possibility(possible, maybe_sql_prepared(name));
    return possible;
}

std::optional<PreparedTexts> PreparedNames::portal(std::string_view portal, std::uint64_t unit) const {
    const std::string name = key(portal);
    std::optional<PreparedTexts> possible;
    for (std::size_t i = pending_.size(); i-- > 0;) {
        const PendingChange& change = pending_[i];
        if (change.name != name || (change.change != Change::bind && change.change != Change::close_portal))
            continue;
        const bool certain = change.unit == unit;
        if (change.change == Change::close_portal) {
            if (certain) return possible;
            continue;
        }
        const auto bound = statement_at(change.statement, change.unit, i);
        add_possibility(possible, bound ? *bound : not_seen_parsed(change.statement));
        if (certain && name.empty()) return possible;
    }
    const auto found = portals_.find(name);
    if (found != portals_.end()) add_possibility(possible, found->second);
    return possible;
}

PreparedTexts PreparedNames::every_named_statement() const {
    std::optional<PreparedTexts> all;
    for (const auto& [name, texts] : statements_)
        if (!name.empty()) add_possibility(all, texts, Older::no);
    for (const PendingChange& change : pending_)
        if (change.change == Change::parse && !change.name.empty()) add_possibility(all, change.texts, Older::no);
    return all.value_or(PreparedTexts{});
}

}  // namespace askfirst::database::pg
