// src/database/postgres_prepared_names.h — what the PostgreSQL server holds
// under each prepared-statement and portal name, as the session
// (postgres_session.h) must know it to judge an Execute: the statement text
// that Execute will run. Sans-io: the session reports what it relayed and
// what the server answered; nothing here touches bytes on the wire.
//
// ## Why changes wait for the server's word
//
// Parse, Bind and Close are relayed without a decision (they run nothing),
// but the server may skip them: after an error in the extended protocol it
// discards every message up to Sync (protocol 55.2.3). A model that trusted
// every relayed message would drift from the server, and a guest could steer
// the drift: Parse("", "drop table t"), Sync; then Bind of a missing
// statement (an error) followed by Parse("", "select 1"), Sync — the server
// skipped the second Parse and still holds the DROP, the session would judge
// the next Bind("", "")/Execute("") as "select 1". So:
//
// - a change becomes certain (committed) only when the server confirms it
//   (ParseComplete, BindComplete, CloseComplete answer them in order);
// - changes not confirmed when their unit's ReadyForQuery arrives were
//   skipped, and are forgotten;
// - a lookup made for a message of unit U counts the unconfirmed changes of U
//   before it as done (if any of them failed, the server skips the message
//   itself), and those of earlier units, whose fate is not known yet, as
//   possible: the worst of every text the name may stand for is judged.
//
// A named statement (or portal) Parsed (Bound) again while it exists is
// refused by the server; not reading every answer in time, the lookup keeps
// both texts. The unnamed ones are replaced.
//
// ## Names as the server keys them
//
// The server keys both tables by the first NAMEDATALEN-1 (63) bytes of a
// name (its hash tables' key size): "a…a1" and "a…a2" longer than that are
// one name to it, so they are one name here. A server built with a larger
// NAMEDATALEN would keep them apart; Debian's and upstream's builds use 64.
//
// ## Limits
//
// The server forgets more than this model does (portals at the end of a
// transaction, the unnamed statement on a Query, names a SQL DEALLOCATE
// drops): a name remembered too long only makes an Execute the server would
// refuse anyway be judged by its old text. Statements prepared by SQL
// PREPARE are not seen; the session judges those names the worst it could.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace askfirst::database::pg {

// NAMEDATALEN (pg_config_manual.h) minus its terminating NUL.
inline constexpr std::size_t kMaxNameBytes = 63;

// The texts a statement or portal may stand for.
struct PreparedTexts {
    std::vector<std::string> texts;
    bool complete = true;
    std::string why_incomplete;
};

class PreparedNames {
public:
    // What the session relayed, in the unit it belongs to (the unit ends
    // with the ReadyForQuery that answers its Sync, Query or FunctionCall).
    void parsed(std::uint64_t unit, std::string_view statement, PreparedTexts texts);
    void bound(std::uint64_t unit, std::string_view portal, std::string_view statement);
    void closed_statement(std::uint64_t unit, std::string_view statement);
    void closed_portal(std::uint64_t unit, std::string_view portal);

    // The server's ParseComplete, BindComplete or CloseComplete: the oldest
    // change it has not answered is done. False when none was waiting (the
    // server answered something the session did not relay).
    bool server_confirmed();
    // The server's ReadyForQuery ended every unit before `answered_units`:
    // their unconfirmed changes were skipped after an error.
    void units_ended(std::uint64_t answered_units);

    // What an Execute of `portal`, sent in `unit`, may run; nullopt when the
    // portal was never bound (as far as the session saw).
    std::optional<PreparedTexts> portal(std::string_view portal, std::uint64_t unit) const;
    // The texts of every named statement, certain or possible (for SQL EXECUTE).
    PreparedTexts every_named_statement() const;
    // A SQL text said PREPARE: from now on a named statement may hold what
    // the session never saw, and is judged the worst it could be.
    void sql_prepare_seen() { sql_prepare_seen_ = true; }
    bool sql_prepare_was_seen() const { return sql_prepare_seen_; }

private:
    enum class Change : std::uint8_t { parse, bind, close_statement, close_portal };
    struct PendingChange {
        Change change;
        std::uint64_t unit;
        std::string name;       // the statement (parse, close_statement) or portal (bind, close_portal)
        std::string statement;  // bind: the statement bound
        PreparedTexts texts;    // parse: its texts
    };

    // What `statement` may stand for for a change or message of `unit` that
    // comes after the first `before` pending changes.
    std::optional<PreparedTexts> statement_at(std::string_view statement, std::uint64_t unit,
                                              std::size_t before) const;
    static std::string key(std::string_view name);

    std::map<std::string, PreparedTexts> statements_;  // confirmed by the server
    std::map<std::string, PreparedTexts> portals_;     // confirmed by the server
    std::deque<PendingChange> pending_;                // relayed, not yet answered, in order
    bool sql_prepare_seen_ = false;
};

}  // namespace askfirst::database::pg
