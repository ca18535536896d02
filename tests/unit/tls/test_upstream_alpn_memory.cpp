// Tests for tls/upstream_alpn_memory.h: which upstreams answered an h2 offer
// with HTTP/1.1, for how long, and how many are kept.
#include <doctest.h>

#include <string>
#include <vector>

#include "tls/upstream_alpn_memory.h"

using namespace askfirst::tls;
using Clock = UpstreamAlpnMemory::Clock;
using std::chrono::seconds;

TEST_CASE("an upstream's answer to an h2 offer, remembered per server name and endpoint for its lifetime") {
    const Clock::time_point start{};
    const std::string api = UpstreamAlpnMemory::key("api.example.com", "203.0.113.5:443");
    struct Row {
        const char* name;
        std::vector<std::string> answers;  // what the upstream settled on, one flow after another
        seconds asked_after;                // since the last answer
        bool speaks_only_http1;
    };
    for (const Row& row : {
             Row{"never asked", {}, seconds{0}, false},
             Row{"answered http/1.1", {"http/1.1"}, seconds{0}, true},
             Row{"answered with no ALPN at all (a server without it speaks HTTP/1.1)", {""}, seconds{0}, true},
             Row{"answered h2", {"h2"}, seconds{0}, false},
             Row{"http/1.1, then h2: h2 wins", {"http/1.1", "h2"}, seconds{0}, false},
             Row{"h2, then http/1.1", {"h2", "http/1.1"}, seconds{0}, true},
             Row{"just within the lifetime", {"http/1.1"}, kUpstreamAlpnMemorySeconds - seconds{1}, true},
             Row{"past the lifetime: h2 is offered again", {"http/1.1"}, kUpstreamAlpnMemorySeconds, false},
         }) {
        CAPTURE(row.name);
        UpstreamAlpnMemory memory;
        for (const auto& answer : row.answers) memory.remember(api, answer, start);
        CHECK(memory.speaks_only_http1(api, start + row.asked_after) == row.speaks_only_http1);
    }
}

TEST_CASE("the answer of one upstream says nothing of another name, address or port") {
    UpstreamAlpnMemory memory;
    const Clock::time_point now{};
    memory.remember(UpstreamAlpnMemory::key("api.example.com", "203.0.113.5:443"), "http/1.1", now);
    CHECK(memory.speaks_only_http1(UpstreamAlpnMemory::key("api.example.com", "203.0.113.5:443"), now));
    CHECK_FALSE(memory.speaks_only_http1(UpstreamAlpnMemory::key("grpc.example.com", "203.0.113.5:443"), now));
    CHECK_FALSE(memory.speaks_only_http1(UpstreamAlpnMemory::key("api.example.com", "203.0.113.6:443"), now));
    CHECK_FALSE(memory.speaks_only_http1(UpstreamAlpnMemory::key("api.example.com", "203.0.113.5:8443"), now));
}

TEST_CASE("a full memory drops expired entries first, else the oldest, and never grows past its capacity") {
    const Clock::time_point start{};
    UpstreamAlpnMemory memory(3, seconds{60});
    auto key = [](int n) { return UpstreamAlpnMemory::key("host" + std::to_string(n), "192.0.2.1:443"); };
    memory.remember(key(1), "http/1.1", start);
    memory.remember(key(2), "http/1.1", start + seconds{10});
    memory.remember(key(3), "http/1.1", start + seconds{20});
    memory.remember(key(4), "http/1.1", start + seconds{30});  // full: the oldest (1) goes
    CHECK(memory.size() == 3);
    CHECK_FALSE(memory.speaks_only_http1(key(1), start + seconds{30}));
    CHECK(memory.speaks_only_http1(key(2), start + seconds{30}));
    memory.remember(key(5), "http/1.1", start + seconds{75});  // 2 (at 10 s) has expired: it goes, 3 and 4 stay
    CHECK(memory.size() == 3);
    CHECK(memory.speaks_only_http1(key(3), start + seconds{75}));
    CHECK(memory.speaks_only_http1(key(4), start + seconds{75}));
    CHECK(memory.speaks_only_http1(key(5), start + seconds{75}));
    memory.remember(key(4), "http/1.1", start + seconds{76});  // known already: nothing is dropped
    CHECK(memory.size() == 3);
    CHECK(memory.speaks_only_http1(key(3), start + seconds{76}));
}
