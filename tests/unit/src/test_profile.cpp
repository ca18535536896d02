// Unit tests for src/profile.h: the strict profile loader. Each rejection row
// pins the exact key path the error must name; acceptance rows pin what the
// data path reads back (lookups), including keys later issues act on.
#include <doctest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <vector>
#include <unistd.h>
#include <string>
#include <string_view>

#include "src/profile.h"

using askfirst::Endpoint;
using askfirst::IpAddress;
using askfirst::parse_profile;

namespace {

// design.md's example profile, verbatim in shape.
constexpr const char* kDesignExample = R"({
  "name": "pocketos",
  "modes": { "default": "prompt-writes", "aws": "block-destructive", "github": "prompt-destructive" },
  "dns": { "hosts": { "api.example.test": "198.51.100.7" } },
  "upstream": { "map": { "198.51.100.7:443": "127.0.0.1:8443" } },
  "host_services": { "10.0.2.2:8080": "127.0.0.1:8080" },
  "tls": { "extra_ca": ["/path/test-ca.pem"], "passthrough": ["*.pinned.example"] },
  "http": { "max_inspect_bytes": 1048576 },
  "consent": { "timeout_s": 120, "no_ui": "deny" },
  "credentials": [ { "name": "aws", "kind": "aws-sigv4", "hosts": ["*.amazonaws.com"], "stub": "AKIASTUB",
                     "source": { "command": "aws configure export-credentials" } } ],
  "udp": { "allow": ["127.0.0.1:5353", "[::1]:5353"] }
})";

Endpoint endpoint(const char* text) { return *Endpoint::parse(text); }

std::string error_of(std::string_view json) {
    const auto profile = parse_profile(json, "profile.json");
    CHECK_MESSAGE(!profile, "expected a rejection of: " << json);
    return profile.error();
}

}  // namespace

TEST_CASE("tls.learn_passthrough turns on only when set true") {
    const auto on = parse_profile(R"({"tls":{"learn_passthrough":true}})", "profile.json");
    REQUIRE_MESSAGE(on, on.error());
    CHECK(on->tls_learn_passthrough);
    const auto off = parse_profile(R"({"tls":{"learn_passthrough":false}})", "profile.json");
    REQUIRE_MESSAGE(off, off.error());
    CHECK_FALSE(off->tls_learn_passthrough);
}

TEST_CASE("the design.md example profile loads with every key read") {
    const auto profile = parse_profile(kDesignExample, "profile.json");
    REQUIRE_MESSAGE(profile, profile.error());
    CHECK(profile->name == "pocketos");
    CHECK(profile->default_mode == "prompt-writes");
    CHECK(profile->provider_modes.at("aws") == "block-destructive");
    CHECK(profile->upstream_map.at(endpoint("198.51.100.7:443")) == endpoint("127.0.0.1:8443"));
    CHECK(profile->host_services.at(endpoint("10.0.2.2:8080")) == endpoint("127.0.0.1:8080"));
    CHECK(profile->tls_extra_ca.at(0) == "/path/test-ca.pem");
    CHECK(profile->tls_passthrough.at(0) == "*.pinned.example");
    CHECK_FALSE(profile->tls_learn_passthrough);  // issue 11: learning refusals is an opt-in
    CHECK(profile->http_max_inspect_bytes == 1048576);
    CHECK(profile->consent_timeout_s == 120);
    CHECK(profile->credentials.at(0).source.command ==
          std::vector<std::string>{"aws", "configure", "export-credentials"});  // one string: split at spaces
    CHECK(profile->udp_allow == std::vector<Endpoint>{endpoint("127.0.0.1:5353"), endpoint("[::1]:5353")});
}

TEST_CASE("a kube client certificate loads as file (certificate) + key_file (its key)") {
    auto profile = parse_profile(R"({"credentials": [{"name": "cluster", "kind": "kube", "hosts": ["kube.example.test"],
        "source": {"file": "~/.kube/client.crt", "key_file": "~/.kube/client.key"}}]})", "p.json");
    REQUIRE_MESSAGE(profile, profile.error());
    CHECK(profile->credentials.at(0).source.file == "~/.kube/client.crt");
    CHECK(profile->credentials.at(0).source.key_file == "~/.kube/client.key");
}

TEST_CASE("the issue's credential entries load: argv commands, header kind, guest_env, unissued_credentials") {
    const auto profile = parse_profile(R"({
      "unissued_credentials": "block",
      "credentials": [
        {"name": "github", "kind": "bearer", "hosts": ["api.github.com", "github.com", "*.githubusercontent.com"],
         "source": {"env": "GITHUB_TOKEN"}, "guest_env": ["GITHUB_TOKEN", "GH_TOKEN"]},
        {"name": "aws-prod", "kind": "aws-sigv4", "hosts": ["*.amazonaws.com"],
         "source": {"command": ["aws", "configure", "export-credentials", "--profile", "prod", "--format", "process"]}},
        {"name": "anthropic", "kind": "header", "header": "x-api-key", "hosts": ["api.anthropic.com"],
         "source": {"file": "~/.config/anthropic/key"}}
      ]})", "profile.json");
    REQUIRE_MESSAGE(profile, profile.error());
    CHECK(profile->unissued_credentials == "block");
    REQUIRE(profile->credentials.size() == 3);
    CHECK(profile->credentials[0].guest_env == std::vector<std::string>{"GITHUB_TOKEN", "GH_TOKEN"});
    CHECK(profile->credentials[0].stub.empty());  // generated at startup in the real one's shape
    CHECK(profile->credentials[1].source.command->size() == 7);
    CHECK(profile->credentials[1].source.command->at(6) == "process");
    CHECK(profile->credentials[2].header == "x-api-key");
    CHECK(profile->credentials[2].source.file == "~/.config/anthropic/key");
    CHECK_FALSE(parse_profile("{}", "p.json")->unissued_credentials);  // unset: per-host default
}

TEST_CASE("an empty profile is valid and maps nothing") {
    const auto profile = parse_profile("{}", "p.json");
    REQUIRE(profile);
    CHECK(profile->upstream_map.empty());
    CHECK(profile->host_services.empty());
    CHECK(profile->udp_allow.empty());
    CHECK(profile->dns_hosts.empty());
    CHECK(profile->databases.empty());
    CHECK(profile->credentials.empty());
}

TEST_CASE("dns.hosts: one address or a list, names kept lower-case without a trailing dot") {
    const auto profile = parse_profile(
        R"({"dns":{"hosts":{"Web.Test.":"127.0.0.1","DUAL.test":["192.0.2.1","2001:db8::1"]}}})", "p");
    REQUIRE_MESSAGE(profile, profile.error());
    CHECK(profile->dns_hosts.size() == 2);
    CHECK(profile->dns_hosts.at("web.test").at(0) == *IpAddress::parse("127.0.0.1"));
    const auto& dual = profile->dns_hosts.at("dual.test");
    REQUIRE(dual.size() == 2);
    CHECK_FALSE(dual.at(1).is_v4());
}

TEST_CASE("upstream.map takes IPv6 endpoints in brackets") {
    const auto profile = parse_profile(R"({"upstream":{"map":{"[2001:db8::7]:443":"[::1]:8443"}}})", "p");
    REQUIRE_MESSAGE(profile, profile.error());
    CHECK(profile->upstream_map.at(endpoint("[2001:db8::7]:443")) == endpoint("[::1]:8443"));
}

struct Rejection {
    const char* name;
    std::string_view json;
    const char* message;  // the whole error text after "profile.json: "
};

// Each row pins the path and the complaint of one kind of bad profile.
constexpr Rejection kRejections[] = {
    {"not JSON", "{", "not valid JSON (near byte 1)"},
    {"text after the JSON value", "{} {}", "not valid JSON (near byte 3)"},
    {"top level not an object", "[]", "(top level): must be an object"},
    {"unknown top-level key", R"({"nmae":"x"})", "nmae: unknown key (known: name, extends, modes, dns.hosts, upstream.map, host_services, udp.allow, tls.extra_ca, tls.passthrough, tls.learn_passthrough, http.max_inspect_bytes, consent.timeout_s, consent.no_ui, consent.listener_grace_s, credentials, databases, unissued_credentials)"},
    {"unknown key in a section", R"({"dns":{"host":{}}})", "dns.host: unknown key (known: dns.hosts)"},
    {"section of the wrong type", R"({"dns":[]})", "dns: must be an object"},
    {"duplicate key", R"({"name":"a","name":"b"})", "name: duplicate key"},
    {"name with a slash", R"({"name":"a/b"})", "name: \"a/b\" must be 1 to 64 letters, digits, '_' or '-'"},
    {"name not a string", R"({"name":7})", "name: must be a string (the profile's name)"},
    {"upstream.map key not an endpoint", R"({"upstream":{"map":{"198.51.100.7":"127.0.0.1:1"}}})",
     "upstream.map.\"198.51.100.7\": the key \"198.51.100.7\" is not an ip:port (\"1.2.3.4:443\" or \"[::1]:443\")"},
    {"upstream.map value not an endpoint", R"({"upstream":{"map":{"198.51.100.7:443":"localhost:8443"}}})",
     "upstream.map.\"198.51.100.7:443\": \"localhost:8443\" is not an ip:port (\"1.2.3.4:443\" or \"[::1]:443\")"},
    {"upstream.map value of the wrong type", R"({"upstream":{"map":{"198.51.100.7:443":8443}}})",
     "upstream.map.\"198.51.100.7:443\": must be a string (an ip:port)"},
    {"IPv6 endpoint without brackets", R"({"upstream":{"map":{"::1:443":"127.0.0.1:1"}}})",
     "upstream.map.\"::1:443\": the key \"::1:443\" is not an ip:port (\"1.2.3.4:443\" or \"[::1]:443\")"},
    {"port zero", R"({"udp":{"allow":["127.0.0.1:0"]}})",
     "udp.allow[0]: \"127.0.0.1:0\" is not an ip:port (\"1.2.3.4:443\" or \"[::1]:443\")"},
    {"port above 65535", R"({"udp":{"allow":["127.0.0.1:1","127.0.0.1:65536"]}})",
     "udp.allow[1]: \"127.0.0.1:65536\" is not an ip:port (\"1.2.3.4:443\" or \"[::1]:443\")"},
    {"udp.allow not a list", R"({"udp":{"allow":"127.0.0.1:53"}})", "udp.allow: must be a list (of \"ip:port\")"},
    {"dns.hosts bad address", R"({"dns":{"hosts":{"a.test":"300.1.1.1"}}})",
     "dns.hosts.\"a.test\": \"300.1.1.1\" is not an IPv4 or IPv6 address (e.g. \"198.51.100.7\" or \"2001:db8::7\")"},
    {"dns.hosts bad address in a list", R"({"dns":{"hosts":{"a.test":["192.0.2.1",5]}}})",
     "dns.hosts.\"a.test\"[1]: must be a string (an IPv4 or IPv6 address)"},
    {"dns.hosts empty list", R"({"dns":{"hosts":{"a.test":[]}}})", "dns.hosts.\"a.test\": the list of addresses is empty"},
    {"dns.hosts bad name", R"({"dns":{"hosts":{"a..test":"192.0.2.1"}}})",
     "dns.hosts.\"a..test\": not a valid host name (letters, digits, '-', '_'; labels of 1-63)"},
    {"dns.hosts same name twice by case", R"({"dns":{"hosts":{"a.test":"192.0.2.1","A.TEST":"192.0.2.2"}}})",
     "dns.hosts.\"A.TEST\": listed twice (names are compared case-insensitively)"},
    {"host_services key not the gateway", R"({"host_services":{"10.0.2.3:80":"127.0.0.1:80"}})",
     "host_services.\"10.0.2.3:80\": the key \"10.0.2.3:80\" must be the gateway address 10.0.2.2 or [fec0::2] with a port"},
    {"host_services value not loopback", R"({"host_services":{"10.0.2.2:80":"192.0.2.1:80"}})",
     "host_services.\"10.0.2.2:80\": \"192.0.2.1:80\" must be on the host's loopback (127.0.0.0/8 or [::1]); to reach another address use upstream.map"},
    {"unknown mode", R"({"modes":{"aws":"ask"}})",
     "modes.aws: must be one of \"off\", \"block-destructive\", \"prompt-destructive\", \"prompt-writes\", \"block-writes\""},
    {"max_inspect_bytes fractional", R"({"http":{"max_inspect_bytes":1.5}})",
     "http.max_inspect_bytes: must be a whole number in 0..268435456"},
    {"timeout_s zero", R"({"consent":{"timeout_s":0}})", "consent.timeout_s: must be a whole number in 1..86400"},
    {"timeout_s as a string", R"({"consent":{"timeout_s":"120"}})", "consent.timeout_s: must be a whole number in 1..86400"},
    {"no_ui unknown", R"({"consent":{"no_ui":"ask"}})", "consent.no_ui: must be one of \"deny\", \"allow\""},
    {"listener_grace_s too long", R"({"consent":{"listener_grace_s":601}})",
     "consent.listener_grace_s: must be a whole number in 0..600"},
    {"extends not a string", R"({"extends":3})", "extends: must be a profile name (e.g. \"agent\") or a file path"},
    {"extends a name found nowhere", R"({"extends":"no-such-profile-xyz"})",
     "extends: no profile named 'no-such-profile-xyz' (looked for "},
    {"extends a base with an unknown key", R"({"extends":"/tmp/askfirst-test-bad-base.json"})",
     "extends: /tmp/askfirst-test-bad-base.json: colour: unknown key (known: "},
    {"passthrough not a pattern", R"({"tls":{"passthrough":["*"]}})",
     "tls.passthrough[0]: \"*\" is not a host pattern (\"host.example\" or \"*.example\")"},
    {"learn_passthrough not a boolean", R"({"tls":{"learn_passthrough":"yes"}})",
     "tls.learn_passthrough: must be true or false"},
    {"extra_ca empty path", R"({"tls":{"extra_ca":[""]}})", "tls.extra_ca[0]: \"\" is not a file path"},
    {"credential missing source", R"({"credentials":[{"name":"a","kind":"bearer","hosts":["a.test"]}]})",
     "credentials[0]: missing \"source\""},
    {"credential unknown key", R"({"credentials":[{"name":"a","secret":"x"}]})",
     "credentials[0].secret: unknown key (known: name, kind, header, hosts, stub, source, guest_env)"},
    {"credential source with two kinds",
     R"({"credentials":[{"name":"a","kind":"bearer","hosts":["a.test"],"source":{"env":"A","file":"/f"}}]})",
     "credentials[0].source: must hold exactly one of \"command\", \"env\" or \"file\""},
    {"credential source unknown key",
     R"({"credentials":[{"name":"a","kind":"bearer","hosts":["a.test"],"source":{"path":"/f"}}]})",
     "credentials[0].source.path: unknown key (known: command, env, file, key_file)"},
    {"credential key_file without file",
     R"({"credentials":[{"name":"k","kind":"kube","hosts":["k.test"],"source":{"env":"A","key_file":"/k"}}]})",
     "credentials[0].source.key_file: goes with \"file\" (the client certificate it is the key of)"},
    {"credential key_file on a bearer entry",
     R"({"credentials":[{"name":"k","kind":"bearer","hosts":["k.test"],"source":{"file":"/c","key_file":"/k"}}]})",
     "credentials[0].source.key_file: only for kind \"kube\" (a client certificate's key)"},
    {"credential client certificate with a stub",
     R"({"credentials":[{"name":"k","kind":"kube","hosts":["k.test"],"stub":"0123456789","source":{"file":"/c","key_file":"/k"}}]})",
     "credentials[0].stub: not for a client certificate (askfirst mints a stub certificate and key)"},
    {"credential key_file empty",
     R"({"credentials":[{"name":"k","kind":"kube","hosts":["k.test"],"source":{"file":"/c","key_file":""}}]})",
     "credentials[0].source.key_file: must be a non-empty string"},
    {"credential names repeated",
     R"({"credentials":[{"name":"a","kind":"bearer","hosts":["a.test"],"source":{"env":"A"}},{"name":"a","kind":"bearer","hosts":["a.test"],"source":{"env":"B"}}]})",
     "credentials[1].name: \"a\" is used twice"},
    {"databases not a list", R"({"databases":{"host":"db.test"}})",
     "databases: must be a list of {\"host\", \"port\", \"protocol\"} objects"},
    {"database protocol unknown", R"({"databases":[{"host":"db.test","port":9042,"protocol":"cassandra"}]})",
     "databases[0].protocol: must be one of \"postgres\", \"mysql\", \"redis\", \"mongodb\""},
    {"database without a port", R"({"databases":[{"host":"db.test","protocol":"mysql"}]})",
     "databases[0]: missing \"port\""},
    {"database port zero", R"({"databases":[{"host":"db.test","port":0,"protocol":"mysql"}]})",
     "databases[0].port: must be a whole number in 1..65535"},
    {"database host not a name", R"({"databases":[{"host":"db test","port":3306,"protocol":"mysql"}]})",
     "databases[0].host: must be a DNS name or an IP address"},
    {"database unknown key", R"({"databases":[{"host":"db.test","port":3306,"protocol":"mysql","tls":true}]})",
     "databases[0].tls: unknown key (known: host, port, protocol)"},
    {"database listed twice", R"({"databases":[{"host":"db.test","port":1,"protocol":"mysql"},{"host":"DB.test","port":1,"protocol":"redis"}]})",
     "databases[1]: db.test:1 is listed twice"},
    {"credential kind unknown", R"({"credentials":[{"name":"a","kind":"token","hosts":["a.test"],"source":{"env":"A"}}]})",
     "credentials[0].kind: must be one of \"bearer\", \"header\", \"basic\", \"aws-sigv4\", \"kube\""},
    {"credential kind header without its header",
     R"({"credentials":[{"name":"a","kind":"header","hosts":["a.test"],"source":{"env":"A"}}]})",
     "credentials[0]: kind \"header\" needs \"header\" (the header that carries it, e.g. \"x-api-key\")"},
    {"credential header on another kind",
     R"({"credentials":[{"name":"a","kind":"bearer","header":"x-api-key","hosts":["a.test"],"source":{"env":"A"}}]})",
     "credentials[0].header: only for kind \"header\""},
    {"credential header that is not a token",
     R"({"credentials":[{"name":"a","kind":"header","header":"x-a: b","hosts":["a.test"],"source":{"env":"A"}}]})",
     "credentials[0].header: must be a header name (RFC 9110 token), e.g. \"x-api-key\""},
    {"credential command empty list",
     R"({"credentials":[{"name":"a","kind":"bearer","hosts":["a.test"],"source":{"command":[]}}]})",
     "credentials[0].source.command: must be a command as an argv list, e.g. [\"aws\", \"configure\", \"export-credentials\"] (no shell)"},
    {"credential command word not a string",
     R"({"credentials":[{"name":"a","kind":"bearer","hosts":["a.test"],"source":{"command":["gh",1]}}]})",
     "credentials[0].source.command[1]: must be a non-empty string"},
    {"credential guest_env not a variable name",
     R"({"credentials":[{"name":"a","kind":"bearer","hosts":["a.test"],"source":{"env":"A"},"guest_env":["A=B"]}]})",
     "credentials[0].guest_env[0]: must be an environment variable name (letters, digits, '_')"},
    {"credential stub too short",
     R"({"credentials":[{"name":"a","kind":"bearer","hosts":["a.test"],"source":{"env":"A"},"stub":"abc"}]})",
     "credentials[0].stub: must be at least 8 characters (or left out: askfirst generates one)"},
    {"unissued_credentials unknown", R"({"unissued_credentials":"ask"})",
     "unissued_credentials: must be one of \"prompt\", \"block\", \"allow\""},
    {"modes key twice", R"({"modes":{"aws":"off","aws":"off"}})", "modes.aws: duplicate key"},
    {"modes provider not a name", R"({"modes":{"a b":"off"}})",
     "modes.\"a b\": a provider name is letters, digits, '_' or '-'"},
    {"modes not an object", R"({"modes":"off"})",
     "modes: must be an object (provider → mode, e.g. {\"default\": \"prompt-writes\"})"},
    {"upstream.map key listed twice", R"({"upstream":{"map":{"[::1]:1":"127.0.0.1:2","[0::1]:1":"127.0.0.1:3"}}})",
     "upstream.map.\"[0::1]:1\": listed twice"},
    {"udp.allow item not a string", R"({"udp":{"allow":[53]}})", "udp.allow[0]: must be a string (an ip:port)"},
    {"database not an object", R"({"databases":["db.test:5432"]})",
     "databases[0]: must be an object with host, port and protocol"},
    {"database key twice", R"({"databases":[{"host":"a.test","host":"b.test"}]})", "databases[0].host: duplicate key"},
    {"credentials not a list", R"({"credentials":{}})", "credentials: must be a list of credential objects"},
    {"credential not an object", R"({"credentials":["aws"]})",
     "credentials[0]: must be an object (name, kind, header, hosts, stub, source, guest_env)"},
    {"credential key twice", R"({"credentials":[{"name":"a","name":"b"}]})", "credentials[0].name: duplicate key"},
    {"credential hosts empty", R"({"credentials":[{"name":"a","kind":"bearer","hosts":[],"source":{"env":"A"}}]})",
     "credentials[0].hosts: must list at least one host pattern"},
    {"credential source not an object", R"({"credentials":[{"name":"a","kind":"bearer","hosts":["a.test"],"source":"A"}]})",
     "credentials[0].source: must be an object with one of \"command\", \"env\" or \"file\""},
    {"credential source env not a variable name",
     R"({"credentials":[{"name":"a","kind":"bearer","hosts":["a.test"],"source":{"env":"A-B"}}]})",
     "credentials[0].source.env: must be an environment variable name (letters, digits, '_')"},
    {"credential guest_env not a list",
     R"({"credentials":[{"name":"a","kind":"bearer","hosts":["a.test"],"source":{"env":"A"},"guest_env":"A"}]})",
     "credentials[0].guest_env: must be a list of environment variable names"},
    {"NUL byte in the text", std::string_view("{\"name\":\"a\"}\0", 14), "not valid JSON (it contains a NUL byte)"},
};

TEST_CASE("databases: endpoints with their protocol, host lower-cased") {
    const auto profile = parse_profile(
        R"({"databases":[{"host":"DB.test","port":3306,"protocol":"mysql"},{"host":"198.51.100.20","port":5432,"protocol":"postgres"},)"
        R"({"host":"mongo.test","port":27017,"protocol":"mongodb"}]})",
        "profile.json");
    REQUIRE_MESSAGE(profile, profile.error());
    REQUIRE(profile->databases.size() == 3);
    CHECK(profile->databases[2].protocol == "mongodb");
    CHECK(profile->databases[0].host == "db.test");
    CHECK(profile->databases[0].port == 3306);
    CHECK(profile->databases[0].protocol == "mysql");
    CHECK(profile->databases[1].host == "198.51.100.20");
}

TEST_CASE("profile rejections name the key path and what is wrong") {
    std::ofstream("/tmp/askfirst-test-bad-base.json") << R"({"colour":"red"})";
    for (const auto& row : kRejections) {
        const std::string name = row.name;
        CAPTURE(name);
        const std::string expected = std::string("profile.json: ") + row.message;
        if (expected.back() == ' ')  // a prefix: the rest lists paths that depend on the machine
            CHECK(error_of(row.json).substr(0, expected.size()) == expected);
        else
            CHECK(error_of(row.json) == expected);
    }
}

TEST_CASE("load_profile_file names the file when it cannot be read, and loads one that exists") {
    const auto missing = askfirst::load_profile_file("/nonexistent/askfirst-profile.json");
    CHECK_FALSE(missing);
    CHECK(missing.error() ==
          "/nonexistent/askfirst-profile.json: cannot read the profile (check the path and its permissions)");

    char path[] = "/tmp/askfirst-profile-test-XXXXXX";
    const int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    close(fd);
    std::ofstream(path) << R"({"name":"from-file","udp":{"allow":["127.0.0.1:9"]}})";
    const auto profile = askfirst::load_profile_file(path);
    std::remove(path);
    REQUIRE_MESSAGE(profile, profile.error());
    CHECK(profile->name == "from-file");
}

namespace {

// Writes `text` to a fresh file under /tmp; removed by the destructor.
struct TempProfile {
    explicit TempProfile(const std::string& text) {
        char pattern[] = "/tmp/askfirst-profile-base-XXXXXX";
        const int fd = mkstemp(pattern);
        REQUIRE(fd >= 0);
        close(fd);
        path = pattern;
        std::ofstream(path) << text;
    }
    ~TempProfile() { std::remove(path.c_str()); }
    std::string path;
};

}  // namespace

TEST_CASE("extends: the base's keys hold unless set here; modes and dns.hosts merge, other keys replace") {
    TempProfile base(R"({"name":"base",
      "modes":{"default":"prompt-writes","llm":"prompt-destructive","aws":"block-writes"},
      "dns":{"hosts":{"a.test":"198.51.100.1","b.test":"198.51.100.2"}},
      "upstream":{"map":{"198.51.100.1:443":"127.0.0.1:1"}},
      "tls":{"passthrough":["*.pinned.test"]},
      "consent":{"timeout_s":300,"listener_grace_s":7}})");
    const auto profile = parse_profile(R"({"extends":")" + base.path + R"(", "name":"mine",
      "modes":{"aws":"prompt-destructive","github":"off"},
      "dns":{"hosts":{"b.test":"198.51.100.22","c.test":"198.51.100.3"}},
      "upstream":{"map":{"198.51.100.3:443":"127.0.0.1:3"}},
      "consent":{"timeout_s":60}})", "mine.json");
    REQUIRE_MESSAGE(profile, profile.error());
    CHECK(profile->name == "mine");
    CHECK(profile->default_mode == "prompt-writes");
    CHECK(profile->provider_modes == std::map<std::string, std::string>{
                                         {"aws", "prompt-destructive"}, {"github", "off"}, {"llm", "prompt-destructive"}});
    CHECK(profile->dns_hosts.size() == 3);
    CHECK(profile->dns_hosts.at("b.test").front() == *IpAddress::parse("198.51.100.22"));
    CHECK(profile->dns_hosts.count("a.test") == 1);
    // upstream.map is replaced, not merged
    CHECK(profile->upstream_map.size() == 1);
    CHECK(profile->upstream_map.count(endpoint("198.51.100.1:443")) == 0);
    CHECK(profile->tls_passthrough == std::vector<std::string>{"*.pinned.test"});
    CHECK(profile->consent_timeout_s == 60);
    CHECK(profile->consent_listener_grace_s == 7);
}

TEST_CASE("extends: a relative path is taken from the extending file's folder; a loop is refused") {
    TempProfile looped("{}");
    std::ofstream(looped.path) << R"({"extends":")" + looped.path.substr(5) + R"("})";  // "askfirst-profile-base-..." in /tmp
    const auto loaded = askfirst::load_profile_file(looped.path);
    CHECK_FALSE(loaded);
    CHECK(loaded.error().find("more than 8 profiles deep") != std::string::npos);
}

TEST_CASE("the built-in agent profile is found by name and loads") {
    const auto agent = askfirst::load_profile_file("agent");
    REQUIRE_MESSAGE(agent, agent.error());
    CHECK(agent->name == "agent");
    CHECK(agent->default_mode == "prompt-writes");
    CHECK(agent->provider_modes.at("llm") == "prompt-destructive");
    CHECK(agent->provider_modes.at("generic") == "prompt-writes");
    CHECK(agent->consent_listener_grace_s == 10);
    const auto mine = parse_profile(R"({"extends":"agent","name":"mine","modes":{"aws":"block-writes"}})", "mine.json");
    REQUIRE_MESSAGE(mine, mine.error());
    CHECK(mine->provider_modes.at("llm") == "prompt-destructive");
    CHECK(mine->provider_modes.at("aws") == "block-writes");
}
