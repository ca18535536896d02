// tests/unit/src/askfirstd_options_test.cpp — askfirstd's command line: the
// accepted forms and the errors that say what to do.
#include <doctest.h>

#include <string>
#include <vector>

#include "src/askfirstd_options.h"

namespace askfirst {
namespace {

Result<AskfirstdOptions> parse(std::vector<const char*> args) {
    args.insert(args.begin(), "askfirstd");
    return parse_askfirstd_options(static_cast<int>(args.size()), args.data());
}

}  // namespace

TEST_CASE("askfirstd accepts a TAP fd with a profile, a name, a ready fd and -v") {
    const auto options = parse({"--tap-fd", "3", "--profile", "p.json", "--name", "vm1", "--ready-fd", "4", "-v"});
    REQUIRE_MESSAGE(options.ok(), options.error());
    CHECK(options->tap_fd == 3);
    CHECK(options->profile_path == "p.json");
    CHECK(options->name == "vm1");
    CHECK(options->ready_fd == 4);
    CHECK(options->verbose);
    CHECK_FALSE(options->socket_path.has_value());
}

TEST_CASE("askfirstd accepts a stream socket path") {
    const auto options = parse({"--socket", "/run/user/1000/askfirst/vm.sock"});
    REQUIRE(options.ok());
    CHECK(options->socket_path == "/run/user/1000/askfirst/vm.sock");
    CHECK(options->name == "askfirst");
}

TEST_CASE("--help wins over everything else") {
    const auto options = parse({"--bogus", "--help"});
    CHECK_FALSE(options.ok());  // the unknown option comes first
    const auto help = parse({"--help"});
    REQUIRE(help.ok());
    CHECK(help->help);
    CHECK(std::string(kAskfirstdUsage).find("--tap-fd") != std::string::npos);
    CHECK(std::string(kAskfirstdUsage).find("--ready-fd") != std::string::npos);
}

TEST_CASE("bad command lines are refused with advice") {
    struct Row {
        const char* behaviour;
        std::vector<const char*> args;
        const char* says;
    };
    const std::vector<Row> rows = {
        {"no transport", {"--name", "x"}, "exactly one of --socket"},
        {"both transports", {"--socket", "s", "--tap-fd", "3"}, "exactly one of --socket"},
        {"an unknown option", {"--tap-fd", "3", "--proxy"}, "unknown option '--proxy'"},
        {"a missing value", {"--tap-fd"}, "--tap-fd needs a value"},
        {"a fd that is not a number", {"--tap-fd", "three"}, "is not a file descriptor number"},
        {"a negative fd", {"--tap-fd", "-1"}, "is not a file descriptor number"},
        {"a name with a space", {"--tap-fd", "3", "--name", "my vm"}, "--name must be"},
    };
    for (const auto& row : rows) {
        CAPTURE(row.behaviour);
        const auto parsed = parse(row.args);
        CHECK_FALSE(parsed.ok());
        CHECK(parsed.error().find(row.says) != std::string::npos);
    }
}

}  // namespace askfirst
