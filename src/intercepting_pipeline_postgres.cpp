// src/intercepting_pipeline_postgres.cpp — the flow pipeline's seam for
// PostgreSQL (src/database/postgres_session.h): a flow whose first bytes are
// a startup packet gets a PostgresSession instead of an HTTP session; its
// outputs become I/O here, its statements go to the decider, and its
// SSLRequest starts the guest TLS (on the ClientHello that follows 'S') and,
// once the server said 'S' to ours, the upstream TLS, verified as for HTTPS.
// Kept apart from intercepting_pipeline.cpp so it moves as one piece onto the
// pipeline's session interface (issue 12).
#include <cstdio>
#include <variant>

#include "src/database/postgres_wire.h"
#include "src/intercepting_pipeline.h"
#include "tls/client_hello.h"

namespace askfirst {

void InterceptingPipeline::start_postgres() {
    uv_timer_stop(detect_timer_);
    postgres_ = std::make_unique<database::PostgresSession>(
        database::PostgresSessionConfig{services_.max_inspect_bytes});
    stage_ = Stage::postgres;
}

std::string InterceptingPipeline::database_host() const {
    const auto& info = io_->info();
    return !sni_.empty() ? sni_ : !info.dns_name.empty() ? info.dns_name : info.original_destination.address.to_string();
}

// After 'S', the guest's next bytes are a ClientHello: wait for all of it,
// then open the guest TLS session with a leaf for its SNI (or the address).
// True while the guest side must not be fed plaintext.
bool InterceptingPipeline::postgres_guest_tls_pending() {
    if (!postgres_awaiting_client_hello_) return false;
    if (guest_in_.empty()) {
        if (guest_eof_ && !postgres_->closed()) postgres_->on_guest_eof();
        return true;
    }
    const auto parsed = tls::parse_client_hello(guest_in_);
    if (parsed.status == tls::ClientHelloStatus::incomplete) {
        if (guest_eof_ && !postgres_->closed()) postgres_->on_guest_eof();
        return true;
    }
    stage_ = Stage::done;
    if (parsed.status == tls::ClientHelloStatus::invalid) {
        io_->reset("PostgreSQL client sent 'S'-answered SSLRequest then a malformed ClientHello: " + parsed.error);
        return true;
    }
    sni_ = parsed.hello.server_name;
    auto session = services_.guest_tls->start_session(parsed.hello, io_->info().original_destination.address.to_string());
    if (!session) {
        io_->reset("cannot open TLS for PostgreSQL at " + database_host() + ": " + session.error());
        return true;
    }
    guest_tls_ = session.take();
    const std::size_t hello_bytes = std::min(parsed.hello.consumed_bytes, guest_in_.size());
    guest_in_.erase(guest_in_.begin(), guest_in_.begin() + static_cast<std::ptrdiff_t>(hello_bytes));
    io_->guest_consumed(hello_bytes);
    postgres_awaiting_client_hello_ = false;
    stage_ = Stage::postgres;
    return false;
}

void InterceptingPipeline::drain_postgres_outputs() {
    namespace out = database::pg_output;
    for (auto& output : postgres_->take_outputs()) {
        if (auto* up = std::get_if<out::SendToUpstream>(&output)) {
            if (upstream_dead_) continue;
            if (!upstream_wanted_) want_upstream();
            if (upstream_dead_) continue;
            upstream_plain_out_ += up->bytes;
        } else if (auto* down = std::get_if<out::SendToGuest>(&output)) {
            send_plaintext_to_guest(down->bytes);
        } else if (std::holds_alternative<out::StartGuestTls>(output)) {
            if (services_.guest_tls == nullptr) {
                stage_ = Stage::done;
                io_->reset("PostgreSQL SSLRequest, but askfirstd has no CA to answer TLS with");
                return;
            }
            flush_to_guest();  // the 'S' leaves in plaintext, before any TLS record
            postgres_awaiting_client_hello_ = true;
        } else if (std::holds_alternative<out::StartUpstreamTls>(output)) {
            postgres_upstream_tls_ = true;
            start_upstream_tls();
        } else if (auto* decide = std::get_if<out::DecideStatement>(&output)) {
            decide_statement(*decide);
        } else if (std::holds_alternative<out::CancelDecision>(output)) {
            if (decision_ticket_ != 0) services_.decider->cancel(decision_ticket_);
            decision_ticket_ = 0;
        } else if (auto* close = std::get_if<out::CloseFlow>(&output)) {
            close_flow_ = true;
            (void)close;
        }
    }
}

void InterceptingPipeline::decide_statement(const database::pg_output::DecideStatement& decide) {
    StatementFacts facts;
    facts.provider = "postgres";
    facts.host = database_host();
    facts.database = postgres_->database();
    facts.user = postgres_->user();
    facts.message = decide.message;
    facts.texts = decide.texts;
    facts.complete = decide.complete;
    facts.why_incomplete = decide.why_incomplete;
    auto alive = alive_;
    const database::StatementId id = decide.id;
    decision_ticket_ = services_.decider->decide_statement(
        flow_facts(), facts, [this, alive, id](bool pass, const std::string& message, const std::string& hint) {
            if (!*alive) return;
            decision_ticket_ = 0;
            if (pass) postgres_->pass(id);
            else postgres_->refuse(id, message, hint);
            pump();
        });
}

// The server could not be reached (connect, or its TLS): the guest gets a
// FATAL that says why, and the flow ends.
void InterceptingPipeline::session_upstream_failed(std::string_view reason) {
    if (!postgres_) return http_->on_upstream_failed(reason);
    std::fprintf(stderr, "askfirstd name=%s event=postgres_upstream_failed host=%s reason=\"%.*s\"\n",
                 services_.vm_name.c_str(), destination_host_port().c_str(), static_cast<int>(reason.size()),
                 reason.data());
    send_plaintext_to_guest(database::pg::fatal_response(
        "08006", "askfirst could not reach the PostgreSQL server " + database_host() + ": " + std::string(reason)));
    close_flow_ = true;
}

}  // namespace askfirst
