// tests/unit/src/session_playbook.cpp — see session_playbook.h.
#include "tests/unit/src/session_playbook.h"

#include <type_traits>

namespace askfirst::http::testing {

void Playbook::collect() {
    for (;;) {
        std::vector<SessionOutput> batch = session.take_outputs();
        if (batch.empty()) return;
        std::vector<RequestId> to_answer;
        for (SessionOutput& output : batch) {
            if (auto* decide = std::get_if<DecideRequest>(&output)) {
                decisions.push_back(*decide);
                if (auto_answer == AutoAnswer::by_path) to_answer.push_back(decide->id);
                else unanswered.push_back(decide->id);
            }
            outputs.push_back(std::move(output));
        }
        for (RequestId id : to_answer) {
            const DecideRequest* asked = nullptr;
            for (const auto& d : decisions) if (d.id == id) asked = &d;
            if (asked->request.path.rfind("/deny", 0) == 0) {
                session.refuse(id, LocalResponse{403, R"({"error":"askfirst_denied"})"});
            } else {
                session.pass(id);
            }
        }
        if (to_answer.empty()) return;
    }
}

std::string Playbook::to_upstream() const {
    std::string out;
    for (const auto& o : outputs) if (auto* s = std::get_if<SendToUpstream>(&o)) out += s->bytes;
    return out;
}

std::string Playbook::to_guest() const {
    std::string out;
    for (const auto& o : outputs) if (auto* s = std::get_if<SendToGuest>(&o)) out += s->bytes;
    return out;
}

bool Playbook::closed() const {
    for (const auto& o : outputs) if (std::holds_alternative<CloseFlow>(o)) return true;
    return false;
}

std::vector<std::string> Playbook::trace() const {
    std::vector<std::string> lines;
    auto append_bytes = [&](std::string_view side, const std::string& bytes) {
        std::string prefix = std::string(side) + " ";
        if (!lines.empty() && lines.back().rfind(prefix, 0) == 0) lines.back() += bytes;
        else lines.push_back(prefix + bytes);
    };
    for (const auto& o : outputs) {
        std::visit([&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, SendToUpstream>) append_bytes("upstream", v.bytes);
            else if constexpr (std::is_same_v<T, SendToGuest>) append_bytes("guest", v.bytes);
            else if constexpr (std::is_same_v<T, DecideRequest>)
                lines.push_back("decide " + std::to_string(v.id) + " " + v.request.method + " " + v.request.host +
                                " " + v.request.path + " body=" + std::to_string(v.request.body.size()) +
                                " complete=" + (v.request.body_complete ? "1" : "0"));
            else if constexpr (std::is_same_v<T, CancelDecision>) lines.push_back("cancel " + std::to_string(v.id));
            else if constexpr (std::is_same_v<T, ProtocolRefusal>) lines.push_back("refusal " + std::to_string(v.status));
            else if constexpr (std::is_same_v<T, BecameOpaque>) lines.push_back("opaque");
            else if constexpr (std::is_same_v<T, HalfCloseUpstream>) lines.push_back("halfclose-upstream");
            else if constexpr (std::is_same_v<T, HalfCloseGuest>) lines.push_back("halfclose-guest");
            else if constexpr (std::is_same_v<T, CloseFlow>) lines.push_back("close");
        }, o);
    }
    return lines;
}

int status_of_response(std::string_view guest_bytes, std::size_t index) {
    std::size_t at = 0;
    for (std::size_t seen = 0;; ++seen) {
        at = guest_bytes.find("HTTP/1.1 ", at);
        if (at == std::string_view::npos) return 0;
        if (seen == index) return std::stoi(std::string(guest_bytes.substr(at + 9, 3)));
        at += 9;
    }
}

}  // namespace askfirst::http::testing
