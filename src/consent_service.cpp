// src/consent_service.cpp — the consent broker on the loop (see the header).
#include "src/consent_service.h"

#include <cjson/cJSON.h>

#include <algorithm>
#include <set>

#include "consent/cjson_handle.h"
#include "netstack/uv_handles.h"

namespace askfirst {

namespace {

using consent::Clock;

using Json = consent::JsonPtr;
using consent::print_json;

// Adds a member parsed from JSON text (an object or array the daemon built).
void add_parsed(cJSON* object, const char* key, const std::string& json_text) {
    cJSON* value = cJSON_Parse(json_text.c_str());
    cJSON_AddItemToObject(object, key, value != nullptr ? value : cJSON_CreateNull());
}

long seconds_between(Clock::time_point from, Clock::time_point to) {
    return static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(to - from).count());
}

}  // namespace

ConsentService::ConsentService(uv_loop_t* loop, consent::BrokerSettings settings, DaemonControlView& daemon,
                               std::string profile_name, std::string vm_name)
    : loop_(loop), broker_(settings), settings_(settings), daemon_(daemon),
      profile_name_(std::move(profile_name)), vm_name_(std::move(vm_name)), deferred_(loop) {
    deadline_timer_ = new uv_timer_t{};
    uv_timer_init(loop_, deadline_timer_);
    deadline_timer_->data = this;
}

ConsentService::~ConsentService() {
    control_.reset();
    netstack::close_and_delete(deadline_timer_);
}

Status ConsentService::start_control_socket() {
    auto started = ControlServer::start(loop_, vm_name_, *this);
    if (!started) return Status::failure(started.error());
    control_ = started.take();
    return ok_status();
}

std::size_t ConsentService::grant_count() const { return broker_.grants(Clock::now()).size(); }

ConsentService::Ticket ConsentService::ask(const consent::Question& question, VerdictCallback on_verdict,
                                           std::chrono::milliseconds listener_grace) {
    const auto now = Clock::now();
    const auto listener_window_ends = nobody_listening_since_ + listener_grace;
    auto asked = broker_.ask(question, now);
    if (!asked.verdict && !has_listeners() && listener_window_ends <= now) {
        // Nobody to ask and the grace window closed: withdraw at once; the caller applies consent.no_ui.
        broker_.cancel(asked.ticket);
        asked.verdict = consent::Verdict{false, consent::DecidedBy::no_listener};
    }
    if (asked.verdict) {
        // Never inside the call that asked (the libuv rule): on the next turn.
        deferred_.post([callback = std::move(on_verdict), verdict = *asked.verdict] { callback(verdict); });
        return 0;
    }
    waiting_[asked.ticket] = std::move(on_verdict);
    if (!has_listeners()) awaiting_listener_[asked.ticket] = listener_window_ends;
    if (asked.new_question && control_) {
        for (const auto& pending : broker_.pending()) {
            if (pending.id != asked.question) continue;
            control_->broadcast_event(consent::encode_question_event(question_json(pending)));
        }
    }
    rearm_timer();
    return asked.ticket;
}

void ConsentService::cancel(Ticket ticket) {
    awaiting_listener_.erase(ticket);
    if (ticket == 0 || waiting_.erase(ticket) == 0) return;
    if (auto withdrawn = broker_.cancel(ticket); withdrawn && control_)
        control_->broadcast_event(consent::encode_withdrawn_event(*withdrawn));
    rearm_timer();
}

void ConsentService::deliver(const consent::Resolution& resolution) {
    awaiting_listener_.erase(resolution.ticket);
    auto it = waiting_.find(resolution.ticket);
    if (it == waiting_.end()) return;
    auto callback = std::move(it->second);
    waiting_.erase(it);
    deferred_.post([callback = std::move(callback), verdict = resolution.verdict] { callback(verdict); });
}

void ConsentService::rearm_timer() {
    auto next = broker_.next_deadline();
    for (const auto& [ticket, until] : awaiting_listener_)
        if (!next || until < *next) next = until;
    if (!next) {
        uv_timer_stop(deadline_timer_);
        return;
    }
    const auto wait = std::max<long long>(
        0, std::chrono::duration_cast<std::chrono::milliseconds>(*next - Clock::now()).count() + 1);
    uv_timer_start(deadline_timer_, [](uv_timer_t* timer) {
        static_cast<ConsentService*>(timer->data)->run_due(timer);
    }, static_cast<std::uint64_t>(wait), 0);
}

// Questions whose grace ran out with still nobody subscribed: withdrawn, and
// answered no_listener (the caller applies consent.no_ui).
void ConsentService::give_up_on_listeners(Clock::time_point now) {
    if (has_listeners()) {
        awaiting_listener_.clear();
        return;
    }
    std::vector<Ticket> due;
    for (const auto& [ticket, until] : awaiting_listener_)
        if (until <= now) due.push_back(ticket);
    for (Ticket ticket : due) {
        awaiting_listener_.erase(ticket);
        auto it = waiting_.find(ticket);
        if (it == waiting_.end()) continue;
        auto callback = std::move(it->second);
        waiting_.erase(it);
        broker_.cancel(ticket);
        deferred_.post([callback = std::move(callback)] {
            callback(consent::Verdict{false, consent::DecidedBy::no_listener});
        });
    }
}

void ConsentService::run_due(uv_timer_t*) {
    give_up_on_listeners(Clock::now());
    std::set<consent::QuestionId> announced;
    for (const auto& resolution : broker_.expire(Clock::now())) {
        deliver(resolution);
        if (control_ && announced.insert(resolution.question).second)
            control_->broadcast_event(consent::encode_resolved_event(resolution.question, false, "timeout", std::nullopt));
    }
    rearm_timer();
}

std::string ConsentService::question_json(const consent::PendingQuestion& pending) const {
    Json object(cJSON_CreateObject());
    cJSON_AddNumberToObject(object.get(), "id", static_cast<double>(pending.id));
    cJSON_AddStringToObject(object.get(), "profile", pending.question.profile.c_str());
    cJSON_AddStringToObject(object.get(), "provider", pending.question.provider.c_str());
    cJSON_AddStringToObject(object.get(), "tier", std::string(classifiers::tier_name(pending.question.tier)).c_str());
    cJSON_AddStringToObject(object.get(), "operation", pending.question.operation.c_str());
    cJSON_AddStringToObject(object.get(), "detail", pending.question.detail.c_str());
    cJSON* flags = cJSON_AddArrayToObject(object.get(), "flags");
    for (const auto& flag : pending.question.flags) cJSON_AddItemToArray(flags, cJSON_CreateString(flag.c_str()));
    cJSON_AddNumberToObject(object.get(), "waiting_s", static_cast<double>(seconds_between(pending.asked_at, Clock::now())));
    cJSON_AddNumberToObject(object.get(), "waiting_requests", static_cast<double>(pending.waiting_requests));
    cJSON_AddNumberToObject(object.get(), "timeout_s", static_cast<double>(settings_.question_timeout.count()));
    return print_json(object.get());
}

void ConsentService::on_subscriber_left() {
    if (!has_listeners()) nobody_listening_since_ = Clock::now();
}

std::string ConsentService::handle_control_command(const consent::ControlCommand& command, bool& subscribe) {
    return reply_for(command, subscribe);
}

std::string ConsentService::reply_for(const consent::ControlCommand& command, bool& subscribe) {
    using Kind = consent::ControlCommandKind;
    const auto id = command.request_id;
    const auto now = Clock::now();
    Json body(cJSON_CreateObject());
    switch (command.kind) {
    case Kind::hello:
        if (command.client_version != consent::kControlProtocolVersion)
            return consent::encode_error_reply({id, "this askfirstd speaks control protocol version 1 only"});
        cJSON_AddNumberToObject(body.get(), "version", consent::kControlProtocolVersion);
        cJSON_AddStringToObject(body.get(), "name", vm_name_.c_str());
        cJSON_AddStringToObject(body.get(), "profile", profile_name_.c_str());
        break;
    case Kind::status: {
        Json status(cJSON_Parse(daemon_.status_json().c_str()));
        if (status && cJSON_IsObject(status.get())) body.reset(status.release());
        cJSON_AddNumberToObject(body.get(), "pending", static_cast<double>(broker_.pending().size()));
        cJSON_AddNumberToObject(body.get(), "grants", static_cast<double>(broker_.grants(now).size()));
        cJSON_AddNumberToObject(body.get(), "listeners",
                                static_cast<double>(control_ ? control_->subscriber_count() : 0));
        break;
    }
    case Kind::subscribe: {
        subscribe = true;
        awaiting_listener_.clear();  // every open question now has someone to ask
        std::string list = "[";
        for (const auto& pending : broker_.pending()) list += (list.size() > 1 ? "," : "") + question_json(pending);
        add_parsed(body.get(), "pending", list + "]");
        break;
    }
    case Kind::answer: {
        auto answer = consent::parse_answer(command.answer);
        if (!answer)
            return consent::encode_error_reply({id, "answer: '" + command.answer + "' is not one of once, 15m, session, deny"});
        auto resolutions = broker_.answer(command.target_id, *answer, now);
        if (!resolutions)
            return consent::encode_error_reply(
                {id, "answer: no open question " + std::to_string(command.target_id) +
                         " (already answered, timed out or withdrawn; 'askfirst prompts --json' lists open ones)"});
        std::set<consent::QuestionId> announced;
        for (const auto& resolution : *resolutions) {
            deliver(resolution);
            if (control_ && announced.insert(resolution.question).second) {
                const bool by_user = resolution.verdict.decided_by == consent::DecidedBy::user;
                control_->broadcast_event(consent::encode_resolved_event(
                    resolution.question, resolution.verdict.allowed,
                    consent::decided_by_name(resolution.verdict.decided_by),
                    by_user ? std::optional<std::string_view>(command.answer) : std::nullopt));
            }
        }
        cJSON_AddNumberToObject(body.get(), "resolved", static_cast<double>(resolutions->size()));
        rearm_timer();
        break;
    }
    case Kind::grants: {
        cJSON* list = cJSON_AddArrayToObject(body.get(), "grants");
        for (const auto& grant : broker_.grants(now)) {
            cJSON* item = cJSON_CreateObject();
            cJSON_AddNumberToObject(item, "id", static_cast<double>(grant.id));
            cJSON_AddStringToObject(item, "provider", grant.provider.c_str());
            if (!grant.scope.empty()) cJSON_AddStringToObject(item, "scope", grant.scope.c_str());
            cJSON_AddStringToObject(item, "level", std::string(classifiers::tier_name(grant.level)).c_str());
            if (grant.expires_at)
                cJSON_AddNumberToObject(item, "expires_in_s", static_cast<double>(seconds_between(now, *grant.expires_at)));
            else
                cJSON_AddNullToObject(item, "expires_in_s");
            cJSON_AddItemToArray(list, item);
        }
        break;
    }
    case Kind::revoke:
        if (!broker_.revoke(command.target_id))
            return consent::encode_error_reply({id, "revoke: no grant " + std::to_string(command.target_id) +
                                                        " ('askfirst grants' lists them)"});
        break;
    case Kind::set_mode: {
        const std::string failure = daemon_.set_mode(command.provider, command.mode);
        if (!failure.empty()) return consent::encode_error_reply({id, "set-mode: " + failure});
        add_parsed(body.get(), "modes", daemon_.modes_json());
        break;
    }
    case Kind::audit_tail:
        add_parsed(body.get(), "lines", daemon_.audit_tail_json(command.lines));
        break;
    }
    return consent::encode_ok_reply(id, print_json(body.get()));
}

}  // namespace askfirst
