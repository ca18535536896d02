// classifiers/stripe.cpp — the Stripe API provider
// (../shared/classifier-rules.md §15, Stripe).
//
// Recognize: api.stripe.com (and files.stripe.com for uploads), form-encoded
// bodies, `Authorization: Bearer sk_…`.
// Label: GET read, POST write, DELETE destructive. Stripe's DELETEs remove
// customers, products, coupons, webhook endpoints…; `DELETE
// /v1/subscriptions/{id}` is the cancel endpoint, and a cancelled
// subscription cannot be reactivated, so it stays destructive (a resource
// ends). POSTs that move money or void documents are writes with a flag.
#include <algorithm>
#include <iterator>

#include "classifiers/provider.h"
#include "classifiers/rest_resource.h"

namespace askfirst::classifiers {
namespace {

constexpr std::string_view kStripeHosts[] = {"api.stripe.com", "files.stripe.com"};

// Collections whose POSTs move money (risk flag "moves-money").
constexpr std::string_view kMoneyMovingCollections[] = {
    "refunds", "payouts", "transfers", "topups", "charges", "payment_intents", "application_fees",
};

// Last path segments of POSTs that end a document or an agreement (risk flag).
constexpr std::string_view kFinalisingActions[] = {"void", "mark_uncollectible", "reject", "close"};

bool contains(std::span<const std::string_view> table, std::string_view word) {
    return std::find(table.begin(), table.end(), word) != table.end();
}

void add_stripe_flags(const HttpRequest& request, const RequestPath& path, Classification& result) {
    if (path.segments.size() < 2) return;
    const std::string_view collection = path.segments[1];
    if (request.method == "DELETE" && collection == "subscriptions" && path.segments.size() == 3)
        add_flag(result, "cancels-subscription");
    if (request.method != "POST") return;
    if (contains(kMoneyMovingCollections, collection)) add_flag(result, "moves-money");
    if (contains(kFinalisingActions, path.segments.back())) add_flag(result, "finalises-document");
    if (request.body.find("cancel_at_period_end=true") != std::string::npos) add_flag(result, "schedules-cancel");
}

Classification stripe_classify(const HttpRequest& request) {
    const RequestPath path = split_request_path(request.path);
    Classification result = make_classification("stripe", method_and_shape(request.method, path),
                                                 tier_for_rest_method(request.method), request);
    add_stripe_flags(request, path, result);
    return result;
}

bool stripe_matches(const HttpRequest& request) { return host_matches_any(request.host, kStripeHosts); }
bool stripe_needs_body(const HttpRequest&) { return false; }  // flags only; the method decides

}  // namespace

extern const Provider kStripeProvider;
const Provider kStripeProvider{"stripe", stripe_matches, stripe_classify, stripe_needs_body};

}  // namespace askfirst::classifiers
