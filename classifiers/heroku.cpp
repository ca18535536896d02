// classifiers/heroku.cpp — the Heroku Platform API provider.
//
// Recognize: api.heroku.com (`Accept: application/vnd.heroku+json; version=3`).
// Label: GET read, POST/PATCH/PUT write, DELETE destructive: apps,
// add-ons (a Heroku Postgres add-on takes its database with it), domains,
// config, pipelines. Exception: `DELETE /apps/{app}/dynos[/{dyno}]` is the
// dyno *restart* endpoint of the Platform API; nothing is removed, so it is
// a write. Scaling a formation to zero is a flagged write.
// Source: https://devcenter.heroku.com/articles/platform-api-reference
// (Dyno Restart, Dyno Restart All, Formation Update).
#include <iterator>

#include "classifiers/provider.h"
#include "classifiers/rest_resource.h"

namespace askfirst::classifiers {
namespace {

constexpr std::string_view kHerokuHosts[] = {"api.heroku.com"};

// DELETE /apps/{app}/dynos and /apps/{app}/dynos/{dyno}: restarts.
bool is_dyno_restart(const HttpRequest& request, const RequestPath& path) {
    return request.method == "DELETE" && (path.segments.size() == 3 || path.segments.size() == 4) &&
           path.segments[0] == "apps" && path.segments[2] == "dynos";
}

Classification heroku_classify(const HttpRequest& request) {
    const RequestPath path = split_request_path(request.path);
    Tier tier = tier_for_rest_method(request.method);
    std::string operation = method_and_shape(request.method, path);
    if (is_dyno_restart(request, path)) {
        tier = Tier::write;
        operation = "dyno restart " + path_shape(path);
    }
    Classification result = make_classification("heroku", std::move(operation), tier, request);
    const bool formation = path.segments.size() >= 3 && path.segments[0] == "apps" && path.segments[2] == "formation";
    if (formation && request.method == "PATCH" && request.body.find("\"quantity\":0") != std::string::npos)
        add_flag(result, "scales-to-zero");
    return result;
}

bool heroku_matches(const HttpRequest& request) { return host_matches_any(request.host, kHerokuHosts); }
bool heroku_needs_body(const HttpRequest&) { return false; }  // flags only

}  // namespace

extern const Provider kHerokuProvider;
const Provider kHerokuProvider{"heroku", heroku_matches, heroku_classify, heroku_needs_body};

}  // namespace askfirst::classifiers
