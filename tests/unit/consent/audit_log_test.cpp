// tests/unit/consent/audit_log_test.cpp — the audit log: where it lives, its
// permissions, one JSON line per decision in order, secrets redacted, and a
// torn last line never taken for a record.
#include <doctest.h>

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <csignal>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "consent/audit_log.h"

using namespace askfirst::consent;
namespace fs = std::filesystem;

namespace {

// A fresh directory under /tmp, removed with everything in it at the end.
struct TempDir {
    fs::path path;
    TempDir() {
        char pattern[] = "/tmp/askfirst-audit-test-XXXXXX";
        path = ::mkdtemp(pattern);
    }
    ~TempDir() { fs::remove_all(path); }
};

AuditRecord sample(std::string operation, std::string query = "") {
    AuditRecord r;
    r.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1795687834123));
    r.vm = "pocketos";
    r.guest_address = "10.0.2.15:40112";
    r.dest_address = "198.51.100.7:443";
    r.sni = "rds.us-east-1.amazonaws.com";
    r.host = "rds.us-east-1.amazonaws.com";
    r.method = "POST";
    r.path = "/";
    r.query = std::move(query);
    r.provider = "aws";
    r.operation = std::move(operation);
    r.tier = "destructive";
    r.mode = "block-destructive";
    r.decision = "block";
    r.decided_by = "policy";
    r.reason = "mode block-destructive refuses destructive operations on aws";
    r.wait_ms = 7;
    return r;
}

std::string field(const std::string& line, const char* name) {
    cJSON* json = cJSON_Parse(line.c_str());
    const cJSON* item = cJSON_GetObjectItemCaseSensitive(json, name);
    std::string out = cJSON_IsString(item) ? item->valuestring : cJSON_IsNumber(item) ? std::to_string(item->valueint) : "";
    cJSON_Delete(json);
    return out;
}

mode_t mode_of(const fs::path& path) {
    struct stat info {};
    ::stat(path.c_str(), &info);
    return info.st_mode & 0777;
}

}  // namespace

TEST_CASE("the audit directory follows XDG_STATE_HOME, then HOME") {
    CHECK(audit_directory("/x/state", "/home/u") == fs::path("/x/state/askfirst/audit"));
    CHECK(audit_directory(nullptr, "/home/u") == fs::path("/home/u/.local/state/askfirst/audit"));
    CHECK(audit_directory("relative/state", "/home/u") == fs::path("/home/u/.local/state/askfirst/audit"));
    CHECK(audit_directory(nullptr, nullptr).empty());
}

TEST_CASE("an audit line has every field of the decision and the query redacted") {
    std::string line = audit_line(sample("rds:DeleteDBInstance", "Action=DeleteDBInstance&X-Amz-Signature=abcdef123"));
    REQUIRE(line.back() == '\n');
    CHECK(line.find('\n') == line.size() - 1);
    CHECK(field(line, "time") == "2026-11-26T10:10:34.123Z");
    CHECK(field(line, "vm") == "pocketos");
    CHECK(field(line, "guest") == "10.0.2.15:40112");
    CHECK(field(line, "dest") == "198.51.100.7:443");
    CHECK(field(line, "sni") == "rds.us-east-1.amazonaws.com");
    CHECK(field(line, "host") == "rds.us-east-1.amazonaws.com");
    CHECK(field(line, "method") == "POST");
    CHECK(field(line, "path") == "/?Action=DeleteDBInstance&X-Amz-Signature=REDACTED");
    CHECK(field(line, "provider") == "aws");
    CHECK(field(line, "operation") == "rds:DeleteDBInstance");
    CHECK(field(line, "tier") == "destructive");
    CHECK(field(line, "mode") == "block-destructive");
    CHECK(field(line, "decision") == "block");
    CHECK(field(line, "decided_by") == "policy");
    CHECK(field(line, "reason") == "mode block-destructive refuses destructive operations on aws");
    CHECK(field(line, "wait_ms") == "7");
    CHECK(line.find("abcdef123") == std::string::npos);
}

TEST_CASE("the log is created private (dirs 0700, file 0600) and holds lines in order") {
    TempDir tmp;
    fs::path dir = audit_directory((tmp.path / "state").c_str(), nullptr);
    auto log = AuditLog::open(dir, "pocketos");
    REQUIRE_MESSAGE(log, log.error());
    CHECK(log->path() == dir / "pocketos.jsonl");
    CHECK(mode_of(dir) == 0700);
    CHECK(mode_of(dir.parent_path()) == 0700);
    CHECK(mode_of(log->path()) == 0600);
    for (int i = 0; i < 3; ++i) REQUIRE(log->append(sample("op" + std::to_string(i))));
    auto lines = read_audit_file(log->path());
    REQUIRE(lines);
    REQUIRE(lines->records.size() == 3);
    CHECK(lines->torn == 0);
    for (int i = 0; i < 3; ++i) CHECK(field(lines->records[static_cast<std::size_t>(i)], "operation") == "op" + std::to_string(i));
}

TEST_CASE("a file left open to others is made 0600 again on open") {
    TempDir tmp;
    fs::path dir = tmp.path / "askfirst" / "audit";
    fs::create_directories(dir);
    std::ofstream(dir / "vm.jsonl") << "";
    ::chmod((dir / "vm.jsonl").c_str(), 0644);
    ::chmod(dir.c_str(), 0755);
    auto log = AuditLog::open(dir, "vm");
    REQUIRE_MESSAGE(log, log.error());
    CHECK(mode_of(log->path()) == 0600);
    CHECK(mode_of(dir) == 0700);
}

TEST_CASE("a torn last line (no newline) is skipped by the reader and sealed by the next writer") {
    TempDir tmp;
    fs::path dir = tmp.path / "audit";
    {
        auto log = AuditLog::open(dir, "vm");
        REQUIRE(log);
        REQUIRE(log->append(sample("first")));
    }
    std::string torn = audit_line(sample("torn"));
    {  // what kill -9 in the middle of a write() would leave
        std::ofstream out(dir / "vm.jsonl", std::ios::app | std::ios::binary);
        out << torn.substr(0, torn.size() / 2);
    }
    auto before = read_audit_file(dir / "vm.jsonl");
    REQUIRE(before);
    CHECK(before->records.size() == 1);
    CHECK(before->torn == 1);
    {
        auto log = AuditLog::open(dir, "vm");
        REQUIRE(log);
        REQUIRE(log->append(sample("after restart")));
    }
    auto after = read_audit_file(dir / "vm.jsonl");
    REQUIRE(after);
    REQUIRE(after->records.size() == 2);
    CHECK(field(after->records[0], "operation") == "first");
    CHECK(field(after->records[1], "operation") == "after restart");
    CHECK(after->torn == 1);
}

TEST_CASE("the reader skips a last line without newline even if it happens to be valid JSON") {
    AuditLines lines = read_audit_lines("{\"a\":1}\n{\"b\":2}");
    CHECK(lines.records.size() == 1);
    CHECK(lines.torn == 1);
}

TEST_CASE("VM names that could escape the audit directory are refused") {
    TempDir tmp;
    for (const char* bad : {"", "../x", "a/b", ".hidden", "sp ace"}) {
        CAPTURE(std::string(bad));
        auto refused = AuditLog::open(tmp.path, bad);
        CHECK_FALSE(refused);
        CHECK_FALSE(refused.error().empty());
    }
    CHECK(is_valid_vm_name("pocket-os_1.2"));
}

TEST_CASE("kill -9 of a writer in full flow leaves only whole records, and the next writer carries on") {
    TempDir tmp;
    fs::path dir = tmp.path / "audit";
    REQUIRE(AuditLog::open(dir, "vm"));
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        auto log = AuditLog::open(dir, "vm");
        if (!log) ::_exit(1);
        AuditRecord record = sample("op");
        record.path = "/" + std::string(6000, 'p');  // lines longer than a page: more room to tear
        for (int i = 0;; ++i) {
            record.operation = "op" + std::to_string(i);
            if (!log->append(record)) ::_exit(1);
        }
    }
    // Wait until the child has written a good number of lines, then kill it.
    for (int tries = 0; tries < 2000 && fs::file_size(dir / "vm.jsonl") < 512 * 1024; ++tries) ::usleep(1000);
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    CHECK(WIFSIGNALED(status));
    auto lines = read_audit_file(dir / "vm.jsonl");
    REQUIRE(lines);
    CHECK(lines->records.size() > 10);
    CHECK(lines->torn <= 1);
    for (std::size_t i = 0; i < lines->records.size(); ++i) {
        REQUIRE(field(lines->records[i], "operation") == "op" + std::to_string(i));  // in order, none lost
    }
    auto log = AuditLog::open(dir, "vm");
    REQUIRE(log);
    REQUIRE(log->append(sample("after kill")));
    auto after = read_audit_file(dir / "vm.jsonl");
    REQUIRE(after);
    CHECK(field(after->records.back(), "operation") == "after kill");
    CHECK(after->records.size() == lines->records.size() + 1);
}

TEST_CASE("append_all writes the lines of one loop turn's decisions with one write(), in order") {
    TempDir tmp;
    auto log = AuditLog::open(tmp.path / "audit", "vm");
    REQUIRE_MESSAGE(log, log.error());
    std::vector<AuditRecord> records;
    for (int i = 0; i < 5; ++i) records.push_back(sample("op" + std::to_string(i)));
    std::vector<const AuditRecord*> batch;
    for (const auto& record : records) batch.push_back(&record);
    const auto before = log->writes_made();
    const auto appended = log->append_all(batch);
    CHECK(appended.whole == 5);
    CHECK(appended.status.ok());
    CHECK(log->writes_made() - before == 1);
    auto lines = read_audit_file(log->path());
    REQUIRE(lines);
    REQUIRE(lines->records.size() == 5);
    for (std::size_t i = 0; i < 5; ++i) CHECK(field(lines->records[i], "operation") == "op" + std::to_string(i));
}

TEST_CASE("append_all counts only whole lines when the file cannot take them all (the rest are refused)") {
    TempDir tmp;
    auto log = AuditLog::open(tmp.path / "audit", "vm");
    REQUIRE_MESSAGE(log, log.error());
    std::vector<AuditRecord> records;
    for (int i = 0; i < 3; ++i) records.push_back(sample("op" + std::to_string(i)));
    std::vector<const AuditRecord*> batch;
    for (const auto& record : records) batch.push_back(&record);
    // The file may grow to one line and a half: write() takes a prefix, then fails with EFBIG.
    const std::size_t line_bytes = audit_line(records[0]).size();
    rlimit saved{};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved) == 0);
    auto* previous = std::signal(SIGXFSZ, SIG_IGN);
    rlimit limited = saved;
    limited.rlim_cur = static_cast<rlim_t>(line_bytes + line_bytes / 2);
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &limited) == 0);
    const auto appended = log->append_all(batch);
    ::setrlimit(RLIMIT_FSIZE, &saved);
    std::signal(SIGXFSZ, previous);
    CHECK(appended.whole == 1);
    REQUIRE_FALSE(appended.status.ok());
    CHECK(appended.status.error().find("cannot append to the audit log") != std::string::npos);
    auto lines = read_audit_file(log->path());
    REQUIRE(lines);
    REQUIRE(lines->records.size() == 1);
    CHECK(field(lines->records[0], "operation") == "op0");
    CHECK(lines->torn == 1);
}

TEST_CASE("audit times: each second's date formatted once, each line's milliseconds its own") {
    using std::chrono::milliseconds;
    const std::chrono::system_clock::time_point epoch;
    CHECK(rfc3339_utc(epoch + milliseconds(1795687834123)) == "2026-11-26T10:10:34.123Z");
    CHECK(rfc3339_utc(epoch + milliseconds(1795687834007)) == "2026-11-26T10:10:34.007Z");  // same second
    CHECK(rfc3339_utc(epoch + milliseconds(1795687835000)) == "2026-11-26T10:10:35.000Z");  // the next one
    CHECK(rfc3339_utc(epoch + milliseconds(1795687834999)) == "2026-11-26T10:10:34.999Z");  // and back
    CHECK(rfc3339_utc(epoch + milliseconds(951782400050)) == "2000-02-29T00:00:00.050Z");
    CHECK(rfc3339_utc(epoch) == "1970-01-01T00:00:00.000Z");
}
