// consent/audit_log.h — one JSON line per decision, appended before the
// request goes upstream (invariant 8), in
// $XDG_STATE_HOME/askfirst/audit/NAME.jsonl (default ~/.local/state/...).
//
// What a line holds: time, VM name, the flow's addresses, SNI, Host, method,
// the target with secret query values redacted (consent/query_redaction.h),
// provider, operation, tier, mode, decision, decided_by, its reason and the
// wait; a request refused before it was judged (framing, Host/SNI) or
// answered 502 after it passed (the upstream failed) has decision "refused".
// What it never holds: any header (Authorization, Cookie, ...) or body
// byte, so no token, signature or password can reach it except through the
// query, which is redacted.
//
// Durability: each line is one write() on an O_APPEND descriptor. Once
// write() returns, the line is in the kernel's page cache, which belongs to
// the file, not to the process: kill -9 of askfirstd right after cannot lose
// it (only a machine crash could, which would need fsync per line). A kill
// *during* the write() of a long line can leave a torn line without its '\n'
// at the end of the file. Readers therefore skip a last line without '\n'
// (read_audit_lines below), and the writer, when it opens a file whose last
// byte is not '\n', first ends that fragment with '\n' so the next record
// starts on a line of its own (the fragment then fails to parse and is
// counted as torn, never taken as a record).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/base/result.h"

namespace askfirst::consent {

struct AuditRecord {
    std::chrono::system_clock::time_point time;
    std::string vm;             // askfirstd --name
    std::string guest_address;  // "10.0.2.15:40112"
    std::string dest_address;   // the address the guest dialed, "93.184.216.34:443"
    std::string sni;            // empty for plain HTTP
    std::string host;
    std::string method;
    std::string path;           // raw, percent-encoded, without the query
    std::string query;          // raw; redacted when written
    std::string provider;
    std::string operation;
    std::string tier;           // "read" | "write" | "destructive"
    std::string mode;           // "prompt-writes", ...
    // "pass" | "block" | "refused": refused before it was judged (framing,
    // Host/SNI), or passed and then answered 502 by askfirst because the
    // upstream failed (a second line after its "pass")
    std::string decision;
    // "policy" | "grant" | "user" | "timeout" | "upstream" | "askfirstd" (the last two with "refused")
    std::string decided_by;
    std::string reason;         // one sentence: why (the mode's rule, the person, the upstream's failure)
    // A database statement (src/statement_decision.h), literals replaced by
    // $n; written only when not empty.
    std::string statement;
    std::int64_t wait_ms = 0;   // how long the request was held for the answer
    std::uint32_t stream = 0;   // the HTTP/2 stream id; 0 (not written) for HTTP/1.x and opaque flows
};

// The line as written: one JSON object and '\n'.
std::string audit_line(const AuditRecord& record);

// "2026-11-26T10:10:34.123Z"
std::string rfc3339_utc(std::chrono::system_clock::time_point time);

// $XDG_STATE_HOME/askfirst/audit, or $HOME/.local/state/askfirst/audit when
// XDG_STATE_HOME is unset or not absolute (XDG Base Directory spec). Pass
// getenv() results (may be null). Empty when neither gives an absolute path.
std::filesystem::path audit_directory(const char* xdg_state_home, const char* home);

// NAME must be 1..64 of [A-Za-z0-9._-], not starting with '.'.
bool is_valid_vm_name(std::string_view name);

class AuditLog {
public:
    // Creates the directories (0700) and the file (0600) if missing.
    // A failure says what failed and what to do.
    static Result<AuditLog> open(const std::filesystem::path& directory, std::string_view vm_name);
    AuditLog(AuditLog&& other) noexcept;
    AuditLog& operator=(AuditLog&& other) noexcept;
    AuditLog(const AuditLog&) = delete;
    AuditLog& operator=(const AuditLog&) = delete;
    ~AuditLog();

    // Appends the record's line. A failure means it was not written: the
    // caller must then refuse the request (fail closed).
    Status append(const AuditRecord& record);
    // Appends the lines of `records`, in order, with one write() (more only
    // if the kernel takes part of it): the requests decided in one loop turn
    // share one system call instead of one each (a write was ~11 % of
    // askfirstd's CPU per keep-alive request). `whole` counts the first
    // records whose whole line was written; when fewer than all, `status`
    // says why and the caller refuses the rest (fail closed). The durability
    // promise above holds for each line: written means in the page cache.
    struct Appended {
        std::size_t whole = 0;
        Status status = ok_status();
    };
    Appended append_all(const std::vector<const AuditRecord*>& records);
    // write() calls made so far: how a test sees that a batch took one.
    std::uint64_t writes_made() const { return writes_made_; }
    const std::filesystem::path& path() const { return path_; }

private:
    AuditLog(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
    int fd_ = -1;
    std::filesystem::path path_;
    std::uint64_t writes_made_ = 0;
};

struct AuditLines {
    std::vector<std::string> records;  // complete lines that are JSON objects, '\n' removed
    std::size_t torn = 0;              // lines skipped: a last line without '\n', or a sealed fragment
};

AuditLines read_audit_lines(std::string_view file_contents);
Result<AuditLines> read_audit_file(const std::filesystem::path& path);

}  // namespace askfirst::consent
