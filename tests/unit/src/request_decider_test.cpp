// tests/unit/src/request_decider_test.cpp — RequestDecider on a real libuv
// loop with a real audit log: requests the mode decides in one loop turn get
// their audit lines in one write(), every line before any verdict (invariant
// 8), verdicts in request order and never inside decide_request; a ticket
// cancelled before its verdict (its flow gone) gets none.
#include <doctest.h>

#include <uv.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "consent/audit_log.h"
#include "consent/policy.h"
#include "src/consent_service.h"
#include "src/request_decider.h"

using namespace askfirst;
namespace fs = std::filesystem;

namespace {

struct NoDaemon : DaemonControlView {
    std::string status_json() override { return "{}"; }
    std::string set_mode(const std::string&, const std::string&) override { return "not here"; }
    std::string modes_json() override { return "{}"; }
    std::string audit_tail_json(std::size_t) override { return "[]"; }
};

// A decider with mode `off` (every request passes) and its audit log in a fresh folder.
struct DeciderRig {
    fs::path folder;
    uv_loop_t loop{};
    consent::ModeTable modes{consent::Mode::off};
    std::unique_ptr<consent::AuditLog> audit;
    NoDaemon daemon;
    std::unique_ptr<ConsentService> consent;
    std::unique_ptr<RequestDecider> decider;

    DeciderRig() {
        char pattern[] = "/tmp/askfirst-decider-test-XXXXXX";
        folder = ::mkdtemp(pattern);
        uv_loop_init(&loop);
        auto opened = consent::AuditLog::open(folder / "audit", "vm");
        REQUIRE_MESSAGE(opened, opened.error());
        audit = std::make_unique<consent::AuditLog>(std::move(*opened));
        consent = std::make_unique<ConsentService>(&loop, consent::BrokerSettings{}, daemon, "test", "vm");
        decider = std::make_unique<RequestDecider>(&loop, modes, *audit, *consent, DecisionSettings{"vm", "test"});
    }
    ~DeciderRig() {
        decider.reset();
        consent.reset();
        uv_run(&loop, UV_RUN_NOWAIT);  // the handles' close callbacks
        uv_loop_close(&loop);
        fs::remove_all(folder);
    }
    std::size_t lines_on_disk() const {
        auto lines = consent::read_audit_file(audit->path());
        return lines ? lines->records.size() : 0;
    }
    void run_turns(int turns = 3) {
        for (int i = 0; i < turns; ++i) uv_run(&loop, UV_RUN_NOWAIT);
    }
};

classifiers::HttpRequest get(const std::string& path) {
    classifiers::HttpRequest request;
    request.method = "GET";
    request.host = "example.test";
    request.path = path;
    return request;
}

struct SeenVerdict {
    std::string path;
    bool pass = false;
    std::size_t lines_on_disk = 0;  // audit lines in the file when the verdict arrived
};

}  // namespace

TEST_CASE("requests the mode decides in one turn: one audit write, every line before any verdict, verdicts in order") {
    DeciderRig rig;
    std::vector<SeenVerdict> verdicts;
    const auto writes_before = rig.audit->writes_made();
    for (int i = 0; i < 4; ++i) {
        const std::string path = "/r" + std::to_string(i);
        rig.decider->decide_request(http::FlowFacts{"vm", "10.0.2.15:4000" + std::to_string(i), "198.51.100.7:443", ""},
                                    get(path),
                                    [&, path](bool pass, const http::LocalResponse&, const consent::AuditRecord& line,
                                              const http::RequestEdits&) {
                                        CHECK(line.path == path);
                                        verdicts.push_back({path, pass, rig.lines_on_disk()});
                                    });
    }
    CHECK(verdicts.empty());  // never inside decide_request
    rig.run_turns();
    REQUIRE(verdicts.size() == 4);
    for (std::size_t i = 0; i < 4; ++i) {
        CHECK(verdicts[i].path == "/r" + std::to_string(i));
        CHECK(verdicts[i].pass);
        CHECK(verdicts[i].lines_on_disk == 4);
    }
    CHECK(rig.audit->writes_made() - writes_before == 1);
}

TEST_CASE("a request cancelled before its turn, or by an earlier verdict of the same turn, gets no verdict") {
    DeciderRig rig;
    std::vector<std::string> delivered;
    std::vector<FlowDecisions::Ticket> tickets;
    for (int i = 0; i < 4; ++i) {
        const std::string path = "/r" + std::to_string(i);
        tickets.push_back(rig.decider->decide_request(
            http::FlowFacts{"vm", "10.0.2.15:40000", "198.51.100.7:443", ""}, get(path),
            [&, path](bool, const http::LocalResponse&, const consent::AuditRecord&, const http::RequestEdits&) {
                delivered.push_back(path);
                if (path == "/r0") rig.decider->cancel(tickets[2]);  // e.g. the verdict closed another flow
            }));
    }
    rig.decider->cancel(tickets[1]);
    rig.run_turns();
    CHECK(delivered == std::vector<std::string>{"/r0", "/r3"});
    CHECK(rig.lines_on_disk() == 3);  // /r1 never reached the turn; /r2's line was written with the batch
}

TEST_CASE("requests decided during a turn's verdicts are settled on the next turn") {
    DeciderRig rig;
    std::vector<std::string> delivered;
    std::function<void(int)> ask = [&](int i) {
        const std::string path = "/r" + std::to_string(i);
        rig.decider->decide_request(
            http::FlowFacts{"vm", "10.0.2.15:40000", "198.51.100.7:443", ""}, get(path),
            [&, path, i](bool, const http::LocalResponse&, const consent::AuditRecord&, const http::RequestEdits&) {
                delivered.push_back(path);
                if (i < 2) ask(i + 1);  // a keep-alive client's next request, decided inside a verdict
            });
    };
    ask(0);
    rig.run_turns(1);
    CHECK(delivered == std::vector<std::string>{"/r0"});
    rig.run_turns(4);
    CHECK(delivered == std::vector<std::string>{"/r0", "/r1", "/r2"});
    CHECK(rig.lines_on_disk() == 3);
}

TEST_CASE("a verdict that ends the decider: the rest of its turn is not delivered, nothing is touched after") {
    DeciderRig rig;
    std::vector<std::string> delivered;
    for (int i = 0; i < 3; ++i) {
        const std::string path = "/r" + std::to_string(i);
        rig.decider->decide_request(
            http::FlowFacts{"vm", "10.0.2.15:40000", "198.51.100.7:443", ""}, get(path),
            [&, path](bool, const http::LocalResponse&, const consent::AuditRecord&, const http::RequestEdits&) {
                delivered.push_back(path);
                rig.decider.reset();  // e.g. askfirstd shutting down from inside a verdict
            });
    }
    rig.run_turns();
    CHECK(delivered == std::vector<std::string>{"/r0"});
}
