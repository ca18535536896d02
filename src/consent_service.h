// src/consent_service.h — the consent broker on askfirstd's loop.
//
// The flow pipeline calls ask() for a request whose mode says "ask"; the
// verdict comes back through the callback, always later from the loop (never
// inside ask()), whether it was decided at once (a grant, a remembered
// denial) or by a person over the control socket. This file is the shell
// around consent/consent_broker (sans-io): it runs the broker's clock with a
// uv timer, turns its resolutions into callbacks, and answers the control
// commands that concern questions and grants. Status, modes and the audit
// tail belong to the daemon and are asked of a DaemonControlView.
//
// Listener grace (issue 14): a question asked while no consent client is
// subscribed still opens, and waits up to `listener_grace` for the tray or
// `askfirst prompts` to subscribe (it is in the subscribe reply's `pending`
// list). A subscription in time makes it an ordinary question; otherwise it
// is withdrawn and its callback gets DecidedBy::no_listener, so the caller
// answers by consent.no_ui. (The tray rescans for sockets every second; an
// agent's first request comes in the first second of `askfirst exec`.)
// The grace is a window, not a delay per question: it runs from askfirstd's
// start, and again from the moment the last listener left. A question asked
// after the window closed with nobody listening is answered at once, so a run
// without any consent client is not slowed by the grace on every write.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "consent/consent_broker.h"
#include "src/control_server.h"
#include "src/deferred_calls.h"

namespace askfirst {

// What the control commands need from the rest of the daemon.
class DaemonControlView {
public:
    virtual ~DaemonControlView() = default;
    // Members merged into the status reply: name, profile, modes, flows.
    virtual std::string status_json() = 0;
    // Sets a mode; returns "" or an error message naming the bad value.
    virtual std::string set_mode(const std::string& provider, const std::string& mode) = 0;
    // The modes object after a change, e.g. {"default":"prompt-writes","aws":"block-writes"}.
    virtual std::string modes_json() = 0;
    // The last `lines` audit records, as a JSON array text.
    virtual std::string audit_tail_json(std::size_t lines) = 0;
};

class ConsentService : public ControlCommandHandler {
public:
    using VerdictCallback = std::function<void(consent::Verdict verdict)>;
    using Ticket = consent::TicketId;

    ConsentService(uv_loop_t* loop, consent::BrokerSettings settings, DaemonControlView& daemon,
                   std::string profile_name, std::string vm_name);
    ~ConsentService() override;
    ConsentService(const ConsentService&) = delete;
    ConsentService& operator=(const ConsentService&) = delete;

    // Starts the control socket; false with `error` set when it cannot.
    Status start_control_socket();

    // Asks; `on_verdict` runs later from the loop. The returned ticket can
    // cancel() the question when the held request goes away (0: decided at once).
    // With no listener now, the question waits for one until the listener-grace
    // window closes (see above); once it has closed: no_listener at once.
    Ticket ask(const consent::Question& question, VerdictCallback on_verdict,
               std::chrono::milliseconds listener_grace = std::chrono::milliseconds(0));
    void cancel(Ticket ticket);

    std::size_t pending_count() const { return broker_.pending().size(); }
    // Is anyone (tray, `askfirst prompts`, a script) subscribed to questions?
    bool has_listeners() const { return control_ && control_->subscriber_count() > 0; }
    const std::string& control_socket_path() const { return control_->socket_path(); }
    std::size_t grant_count() const;

    std::string handle_control_command(const consent::ControlCommand& command, bool& subscribe) override;
    void on_subscriber_left() override;

private:
    void deliver(const consent::Resolution& resolution);
    void run_due(uv_timer_t* timer);
    void rearm_timer();
    void give_up_on_listeners(consent::Clock::time_point now);
    std::string question_json(const consent::PendingQuestion& pending) const;
    std::string reply_for(const consent::ControlCommand& command, bool& subscribe);

    uv_loop_t* loop_;
    consent::ConsentBroker broker_;
    consent::BrokerSettings settings_;
    DaemonControlView& daemon_;
    std::string profile_name_;
    std::string vm_name_;
    std::unique_ptr<ControlServer> control_;
    uv_timer_t* deadline_timer_ = nullptr;
    std::unordered_map<Ticket, VerdictCallback> waiting_;
    // Tickets asked while nobody listened: when each stops waiting for a listener.
    std::unordered_map<Ticket, consent::Clock::time_point> awaiting_listener_;
    // Since when nobody has been subscribed (start, or the last listener leaving):
    // the listener-grace window opens here.
    consent::Clock::time_point nobody_listening_since_ = consent::Clock::now();
    DeferredCalls deferred_;
};

}  // namespace askfirst
