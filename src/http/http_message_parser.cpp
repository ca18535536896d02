// src/http/http_message_parser.cpp — llhttp driven one boundary at a time.
// See http_message_parser.h. Callbacks never throw: every append goes through
// append_bounded(), which catches allocation failure and turns it into a
// parse error (conventions: no exceptions across C callbacks).
#include "src/http/http_message_parser.h"

#include <cstring>
#include <new>

namespace askfirst::http {

namespace {

MessageParser& owner(llhttp_t* parser) { return *static_cast<MessageParser*>(parser->data); }

bool append_bounded(std::string& to, const char* at, std::size_t length) noexcept {
    try {
        to.append(at, length);
        return true;
    } catch (const std::bad_alloc&) {
        return false;
    }
}

std::string_view trim_whitespace(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

// RFC 9110 §15.2 (1xx), §15.3.5 (204), §15.4.5 (304); §9.3.2 (HEAD):
// these responses end at their head whatever Content-Length says.
bool response_has_no_body(int status, bool response_to_head) {
    return response_to_head || status / 100 == 1 || status == 204 || status == 304;
}

}  // namespace

struct MessageParserCallbacks {
    static int on_message_begin(llhttp_t* p) {
        owner(p).begin_message();
        return 0;
    }
    static int on_method(llhttp_t* p, const char* at, std::size_t n) {
        return append_bounded(owner(p).method_, at, n) ? 0 : -1;
    }
    static int on_url(llhttp_t* p, const char* at, std::size_t n) {
        return append_bounded(owner(p).target_, at, n) ? 0 : -1;
    }
    static int on_header_field(llhttp_t* p, const char* at, std::size_t n) {
        MessageParser& self = owner(p);
        if (self.kind_ == MessageKind::response && !self.read_response_headers_) return 0;  // relayed, not read
        return append_bounded(self.field_, at, n) ? 0 : -1;
    }
    static int on_header_value(llhttp_t* p, const char* at, std::size_t n) {
        MessageParser& self = owner(p);
        if (self.kind_ == MessageKind::response && !self.read_response_headers_) return 0;
        return append_bounded(self.value_, at, n) ? 0 : -1;
    }
    static int on_header_value_complete(llhttp_t* p) {
        MessageParser& self = owner(p);
        if (self.kind_ == MessageKind::response && !self.read_response_headers_) return 0;
        if (self.in_head_) {
            try {
                self.headers_.push_back({self.field_, std::string(trim_whitespace(self.value_))});
            } catch (const std::bad_alloc&) {
                return -1;
            }
        }
        self.field_.clear();
        self.value_.clear();
        return 0;
    }
    static int on_headers_complete(llhttp_t* p) {
        MessageParser& self = owner(p);
        self.in_head_ = false;
        if (self.kind_ == MessageKind::response &&
            response_has_no_body(p->status_code, self.response_to_head_)) {
            p->flags |= F_SKIPBODY;  // honoured by llhttp__after_headers_complete on resume
        }
        self.pending_boundary_ = Boundary::headers_complete;
        return HPE_PAUSED;
    }
    static int on_body(llhttp_t* p, const char* at, std::size_t n) {
        MessageParser& self = owner(p);
        if (!self.inspecting_) return 0;
        std::size_t room = self.body_limit_ - self.body_.size();
        if (n > room) self.body_overflowed_ = true;
        return append_bounded(self.body_, at, n > room ? room : n) ? 0 : -1;
    }
    static int on_chunk_header(llhttp_t* p) {
        if (p->content_length != 0) return 0;
        owner(p).pending_boundary_ = Boundary::trailers_begin;
        return HPE_PAUSED;
    }
    static int on_message_complete(llhttp_t* p) {
        owner(p).pending_boundary_ = Boundary::message_complete;
        return HPE_PAUSED;
    }
};

namespace {

const llhttp_settings_t& parser_settings() {
    static const llhttp_settings_t settings = [] {
        llhttp_settings_t s;
        llhttp_settings_init(&s);
        s.on_message_begin = MessageParserCallbacks::on_message_begin;
        s.on_method = MessageParserCallbacks::on_method;
        s.on_url = MessageParserCallbacks::on_url;
        s.on_header_field = MessageParserCallbacks::on_header_field;
        s.on_header_value = MessageParserCallbacks::on_header_value;
        s.on_header_value_complete = MessageParserCallbacks::on_header_value_complete;
        s.on_headers_complete = MessageParserCallbacks::on_headers_complete;
        s.on_body = MessageParserCallbacks::on_body;
        s.on_chunk_header = MessageParserCallbacks::on_chunk_header;
        s.on_message_complete = MessageParserCallbacks::on_message_complete;
        return s;
    }();
    return settings;
}

}  // namespace

MessageParser::MessageParser(MessageKind kind) : kind_(kind) {
    llhttp_init(&parser_, kind == MessageKind::request ? HTTP_REQUEST : HTTP_RESPONSE,
                &parser_settings());
    parser_.data = this;
    // Deliberately no llhttp_set_lenient_*: every leniency is a smuggling risk.
}

void MessageParser::begin_message() {
    in_head_ = true;
    method_.clear();
    target_.clear();
    field_.clear();
    value_.clear();
    headers_.clear();
    body_.clear();
    body_limit_ = 0;
    inspecting_ = false;
    body_overflowed_ = false;
}

void MessageParser::inspect_body(std::size_t limit) {
    body_limit_ = limit;
    inspecting_ = true;
    body_.clear();
    body_overflowed_ = false;
}

bool MessageParser::has_body_framing() const {
    return is_chunked() || ((parser_.flags & F_CONTENT_LENGTH) != 0 && parser_.content_length > 0);
}

bool MessageParser::has_declared_length_at_most(std::uint64_t limit) const {
    return !is_chunked() && (parser_.flags & F_CONTENT_LENGTH) != 0 && parser_.content_length <= limit;
}

ParseStep MessageParser::parse(std::string_view input) {
    // llhttp returns a sticky error without looking at the new input, and its
    // error position then points into an old buffer: answer from our state.
    if (stuck_at_ != Boundary::need_more) return {0, stuck_at_};
    // An empty read still runs llhttp (after a boundary it may reach the next
    // one without more input), but an empty view may carry a null pointer, and
    // llhttp does arithmetic on it: give it a real, empty position instead.
    static constexpr char kEmpty[1] = {};
    const char* const data = input.empty() ? kEmpty : input.data();
    pending_boundary_ = Boundary::need_more;
    llhttp_errno_t err = llhttp_execute(&parser_, data, input.size());
    if (err == HPE_OK) return {input.size(), Boundary::need_more};
    auto consumed = static_cast<std::size_t>(llhttp_get_error_pos(&parser_) - data);
    switch (err) {
        case HPE_PAUSED:
            llhttp_resume(&parser_);
            return {consumed, pending_boundary_};
        case HPE_PAUSED_UPGRADE:
            stuck_at_ = Boundary::upgrade;
            return {consumed, Boundary::upgrade};
        case HPE_PAUSED_H2_UPGRADE:
            stuck_at_ = Boundary::h2_preface;
            return {consumed, Boundary::h2_preface};
        default:
            stuck_at_ = Boundary::error;
            return {consumed, Boundary::error};
    }
}

ParseStep MessageParser::finish() {
    if (stuck_at_ != Boundary::need_more) return {0, stuck_at_};
    pending_boundary_ = Boundary::need_more;
    llhttp_errno_t err = llhttp_finish(&parser_);
    if (err == HPE_OK) return {0, Boundary::need_more};
    if (err == HPE_PAUSED) {
        llhttp_resume(&parser_);
        return {0, pending_boundary_};
    }
    stuck_at_ = Boundary::error;
    return {0, Boundary::error};
}

void MessageParser::resume_after_upgrade() {
    if (stuck_at_ != Boundary::upgrade) return;
    stuck_at_ = Boundary::need_more;
    llhttp_resume_after_upgrade(&parser_);
}

std::string MessageParser::error_reason() const {
    const char* reason = llhttp_get_error_reason(&parser_);
    std::string text = llhttp_errno_name(llhttp_get_errno(&parser_));
    if (reason != nullptr && std::strlen(reason) > 0) text += std::string(": ") + reason;
    return text;
}

}  // namespace askfirst::http
