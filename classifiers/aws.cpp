// classifiers/aws.cpp — UNFINISHED placeholder: the AWS provider entry.
// Recognition and classification land in the next commits; until then every
// AWS request is judged a write (fail closed to "ask").
#include "classifiers/provider.h"

namespace askfirst::classifiers {
namespace {

constexpr std::string_view kAwsHosts[] = {"*.amazonaws.com", "*.amazonaws.com.cn", "*.api.aws"};

bool aws_matches(const HttpRequest& request) { return host_matches_any(request.host, kAwsHosts); }

Classification aws_classify(const HttpRequest&) {
    return {"aws", "aws:unknown", Tier::write, "AWS request (classifier not finished)", {}};
}

bool aws_needs_body(const HttpRequest&) { return true; }

}  // namespace

const Provider kAwsProvider{"aws", aws_matches, aws_classify, aws_needs_body};

}  // namespace askfirst::classifiers
