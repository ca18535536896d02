// src/http/head_edits.h — small, exact edits to a passed request's raw head,
// applied by the HTTP session as the head goes upstream (HttpSession::pass).
//
// Why: the credential broker (src/credentials/) puts the real secret in place
// of the sandbox's stub only after the request was classified and decided
// (issue 13). The decision point computes the edits from the parsed request;
// the session owns the raw bytes and applies them, so everything else of the
// head (order, spelling, spacing of other headers) goes upstream as the guest
// sent it, and nothing is ever edited before the decision.
//
// The head is CRLF-delimited (the session refuses bare LF and obsolete line
// folding before a request is judged), so a line is a header line or the
// request line, never a continuation.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "classifiers/classification.h"

namespace askfirst::http {

struct HeadEdit {
    enum class Kind {
        replace_in_header,  // every `from` in the value of each `header` line becomes `to`
        replace_in_target,  // the first `from` in the request line's target becomes `to`
        set_header,         // the first `header` line's value becomes `to`; appended if there is none
    };
    Kind kind = Kind::replace_in_header;
    std::string header;  // compared case-insensitively
    std::string from;
    std::string to;

    HeadEdit() = default;
    HeadEdit(Kind k, std::string h, std::string f, std::string t)
        : kind(k), header(std::move(h)), from(std::move(f)), to(std::move(t)) {}
    HeadEdit(const HeadEdit&) = default;
    HeadEdit(HeadEdit&&) = default;
    HeadEdit& operator=(const HeadEdit&) = default;
    HeadEdit& operator=(HeadEdit&&) = default;
    // `to` usually holds a real secret: wiped, not just freed.
    ~HeadEdit();
};

using HeadEdits = std::vector<HeadEdit>;

// Rewrites the body of a passed request on its way upstream, in order, as
// it streams (AWS aws-chunked uploads: each chunk's signature is computed
// again with the real key). It may hold bytes back (a chunk is signed over
// its whole data) but never changes the body's length, so the head's
// Content-Length stays true.
class BodyRewriter {
public:
    virtual ~BodyRewriter() = default;
    // The bytes that may go upstream now. On failure (a chunk whose
    // signature does not verify, framing it cannot read) returns "" and
    // failure() says why: the session then half-closes the upstream (which
    // never gets the rest) and drops the rest of the guest's body.
    virtual std::string rewrite(std::string_view body_bytes) = 0;
    virtual const std::string& failure() const = 0;
};

// What a passed request gets changed on its way upstream: its head, and
// maybe its body.
struct RequestEdits {
    HeadEdits head;
    std::shared_ptr<BodyRewriter> body;  // none: the body goes as sent
};

// The head with every edit applied, in order. `raw_head` ends with the blank
// line; so does the result.
std::string apply_head_edits(std::string_view raw_head, const HeadEdits& edits);

// The same edits on an HTTP/2 request's header fields (name, value) as the
// HTTP/2 session holds them (src/http/http2_session.h): header names are
// lower case there, the target is the ":path" field; a set_header edit
// that finds no field appends one, its name lower-cased (RFC 9113 §8.2.1).
using HeaderFields = std::vector<std::pair<std::string, std::string>>;
void apply_field_edits(HeaderFields& fields, const HeadEdits& edits);

// A request signed with AWS SigV4 in its Authorization header whose
// signature covers the body's SHA-256 without saying it in
// x-amz-content-sha256 (botocore for every service but S3): re-signing it
// needs the whole body, so the session inspects it as a classifier would.
bool needs_body_to_resign(const classifiers::HttpRequest& head);

// Overwrites bytes that may have held a secret, in a way the compiler keeps.
void wipe_bytes(void* bytes, std::size_t count);
// Overwrites a string's bytes before it is released (secrets in transit).
void wipe_string(std::string& text);

// Growing or shrinking a string that may hold a real secret, without leaving
// a copy behind in memory it gives back: std::string's own append may move
// the bytes to a bigger buffer and free the old one as it was, and its
// erase shifts the bytes down but leaves the old tail in its capacity.
void append_wiping(std::string& out, std::string_view more);
void erase_front_wiping(std::string& text, std::size_t count);
// Every value of `fields` wiped, then the list emptied (an HTTP/2 request's
// header fields once they were handed upstream).
void wipe_fields(HeaderFields& fields);

}  // namespace askfirst::http
