// classifiers/packages.cpp — the `packages` provider: the package registries
// an agent installs from (npm, PyPI, crates.io, the Go module proxy, Debian's
// archive) and the vulnerability databases their audit commands query
// (issue 14, "Package managers' own read-like POSTs are reads").
//
// Recognise by host (the registry tables below). Label: downloads and
// metadata (GET/HEAD) read; the audit POSTs that every `npm install` sends
// (`/-/npm/v1/security/advisories/bulk`, `…/audits/quick`) and OSV queries
// (pip-audit -s osv, osv-scanner) read: they send a dependency list and get
// advisories back, nothing is stored; publishing, yanking, dist-tags,
// owners and logins write; unpublishing or deleting a crate is destructive.
// A POST, PUT or PATCH no row names is a write, a DELETE destructive
// (invariant 6: unknown is never read). The body is never needed.
//
// Operation names: "<registry>:<operation>", e.g. "npm:audit.advisories.bulk",
// "npm:publish", "cargo:yank"; otherwise "<registry>:<METHOD> <path shape>".
#include "classifiers/provider.h"
#include "classifiers/rest_resource.h"

namespace askfirst::classifiers {
namespace {

// npm registry: github.com/npm/registry docs/REGISTRY-API.md and the npm CLI's
// own requests (lib/commands/audit.js via @npmcli/arborist audit-report:
// POST /-/npm/v1/security/advisories/bulk, falling back to
// /-/npm/v1/security/audits/quick; publish, unpublish, dist-tag, owner,
// access, login in libnpmpublish/npm-registry-fetch). Yarn and pnpm send the
// same audit requests to the same paths.
constexpr MethodRoute kNpmRoutes[] = {
    {"POST", "/-/npm/v1/security/advisories/bulk", "audit.advisories.bulk", Tier::read, ""},
    {"POST", "/-/npm/v1/security/audits/quick", "audit.quick", Tier::read, ""},
    {"POST", "/-/npm/v1/security/audits", "audit", Tier::read, ""},
    {"PUT", "/{package}", "publish", Tier::write, ""},
    {"PUT", "/{package}/-rev/{rev}", "publish", Tier::write, ""},
    {"DELETE", "/{package}/-rev/{rev}", "unpublish", Tier::destructive, ""},
    {"DELETE", "/{package}/-/{tarball}/-rev/{rev}", "unpublish.tarball", Tier::destructive, ""},
    {"PUT", "/-/package/{package}/dist-tags/{tag}", "dist-tag.add", Tier::write, ""},
    {"DELETE", "/-/package/{package}/dist-tags/{tag}", "dist-tag.rm", Tier::destructive, ""},
    {"POST", "/-/package/{package}/access", "access.set", Tier::write, ""},
    {"PUT", "/-/user/{user}", "login", Tier::write, "mints-registry-token"},
    {"POST", "/-/v1/login", "login.web", Tier::write, "mints-registry-token"},
    {"DELETE", "/-/user/token/{token}", "logout", Tier::write, ""},
};

// PyPI: warehouse docs (docs.pypi.org/api/upload: POST upload.pypi.org/legacy/).
constexpr MethodRoute kPypiRoutes[] = {
    {"POST", "/legacy", "upload", Tier::write, ""},
};

// crates.io: doc.rust-lang.org/cargo/reference/registry-web-api.html.
constexpr MethodRoute kCratesRoutes[] = {
    {"PUT", "/api/v1/crates/new", "publish", Tier::write, ""},
    {"DELETE", "/api/v1/crates/{crate}/{version}/yank", "yank", Tier::write, ""},
    {"PUT", "/api/v1/crates/{crate}/{version}/unyank", "unyank", Tier::write, ""},
    {"PUT", "/api/v1/crates/{crate}/owners", "owner.add", Tier::write, ""},
    {"DELETE", "/api/v1/crates/{crate}/owners", "owner.remove", Tier::write, ""},
    {"DELETE", "/api/v1/crates/{crate}", "crate.delete", Tier::destructive, ""},
};

// OSV: google.github.io/osv.dev/api (POST /v1/query, /v1/querybatch).
constexpr MethodRoute kOsvRoutes[] = {
    {"POST", "/v1/query", "query", Tier::read, ""},
    {"POST", "/v1/querybatch", "querybatch", Tier::read, ""},
};

struct Registry {
    std::string_view host;  // host pattern (provider.h)
    std::string_view name;
    std::span<const MethodRoute> routes;
};

// The Go module proxy, checksum database and vulnerability database
// (go.dev/ref/mod, vuln.go.dev) and Debian's archive take GETs only.
constexpr Registry kRegistries[] = {
    {"registry.npmjs.org", "npm", kNpmRoutes},       {"registry.yarnpkg.com", "npm", kNpmRoutes},
    {"npm.pkg.github.com", "npm", kNpmRoutes},       {"pypi.org", "pypi", kPypiRoutes},
    {"upload.pypi.org", "pypi", kPypiRoutes},        {"files.pythonhosted.org", "pypi", {}},
    {"crates.io", "cargo", kCratesRoutes},           {"index.crates.io", "cargo", {}},
    {"static.crates.io", "cargo", {}},               {"proxy.golang.org", "go", {}},
    {"sum.golang.org", "go", {}},                    {"vuln.go.dev", "go", {}},
    {"deb.debian.org", "debian", {}},                {"security.debian.org", "debian", {}},
    {"api.osv.dev", "osv", kOsvRoutes},
};

const Registry* registry_of(std::string_view host) {
    for (const Registry& registry : kRegistries)
        if (host_matches_pattern(host, registry.host)) return &registry;
    return nullptr;
}

bool packages_matches(const HttpRequest& request) { return registry_of(request.host) != nullptr; }

Classification packages_classify(const HttpRequest& request) {
    const Registry* registry = registry_of(request.host);
    const std::string_view name = registry != nullptr ? registry->name : "unknown";
    const RequestPath path = split_request_path(request.path);
    const MethodRoute* row = registry != nullptr ? best_method_route(registry->routes, request.method, path) : nullptr;
    if (row == nullptr)
        return classify_unnamed_endpoint("packages", std::string(name) + ":" + method_and_shape(request.method, path), request);
    Classification result = make_classification("packages", std::string(name) + ":" + std::string(row->operation), row->tier, request);
    if (!row->flag.empty()) add_flag(result, row->flag);
    return result;
}

bool packages_needs_body(const HttpRequest&) { return false; }  // the method and the path decide

}  // namespace

extern const Provider kPackagesProvider;
const Provider kPackagesProvider{"packages", packages_matches, packages_classify, packages_needs_body};

}  // namespace askfirst::classifiers
