// tests/unit/consent/query_redaction_test.cpp — secrets in query strings
// never reach a log: which names count, and that the rest is kept as sent.
#include <doctest.h>

#include "consent/query_redaction.h"

using namespace askfirst::consent;

TEST_CASE("secret query values are redacted, everything else kept as sent") {
    struct Case { const char* name; const char* query; const char* expected; };
    const Case cases[] = {
        {"AWS pre-signed URL",
         "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20260101&X-Amz-Signature=deadbeef&X-Amz-Security-Token=FQoG",
         "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=REDACTED&X-Amz-Signature=REDACTED&X-Amz-Security-Token=REDACTED"},
        {"OAuth access token", "access_token=ya29.secret&page=2", "access_token=REDACTED&page=2"},
        {"name case does not matter", "API_KEY=k1&Token=t1&PASSWORD=p1", "API_KEY=REDACTED&Token=REDACTED&PASSWORD=REDACTED"},
        {"percent-encoded name", "t%6Fken=t1&k%65y=k1", "t%6Fken=REDACTED&k%65y=REDACTED"},
        {"fragment match", "github_token=g&db_password=d&client_secret=c", "github_token=REDACTED&db_password=REDACTED&client_secret=REDACTED"},
        {"Azure SAS sig", "sv=2021&sig=abc%3D&se=2026", "sv=2021&sig=REDACTED&se=2026"},
        {"semicolon separators", "a=1;signature=s", "a=1;signature=REDACTED"},
        {"a name without a value is kept", "token&debug", "token&debug"},
        {"ordinary parameters untouched", "Action=DescribeDBInstances&Version=2014-10-31", "Action=DescribeDBInstances&Version=2014-10-31"},
        {"empty query", "", ""},
    };
    for (const Case& c : cases) {
        CAPTURE(std::string(c.name));
        CHECK(redact_query(c.query) == c.expected);
    }
}

TEST_CASE("the redacted target keeps the path and adds the query only if there is one") {
    CHECK(redacted_target("/a/b", "") == "/a/b");
    CHECK(redacted_target("/a", "key=1") == "/a?key=REDACTED");
}
