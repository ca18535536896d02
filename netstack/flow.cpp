// netstack/flow.cpp — one flow's two sockets and its pipeline (netstack/flow.h).
#include "netstack/flow.h"

#include <cstring>

#include "netstack/flow_table.h"

namespace askfirst::netstack {

struct Flow::UpstreamWrite {
    uv_write_t request;
    Flow* flow;
    std::vector<std::uint8_t> bytes;
};

Flow::Flow(FlowTable& table, FlowInfo info, std::unique_ptr<LwipTcpConnection> guest,
           std::unique_ptr<FlowPipeline> pipeline)
    : table_(table), info_(std::move(info)), guest_(std::move(guest)), pipeline_(std::move(pipeline)) {
    guest_->set_events(this);
    upstream_.data = this;
}

Flow::~Flow() {
    guest_->set_events(nullptr);
    guest_.reset();  // RST if the guest side is still attached
}

void Flow::start() {
    if (table_.verbose())
        table_.log("event=flow_open flow=" + std::to_string(info_.id) + " guest=" + info_.guest.to_string() +
                   " dst=" + info_.original_destination.to_string() + " upstream=" + info_.upstream.to_string() +
                   (info_.dns_name.empty() ? "" : " name=" + info_.dns_name));
    pipeline_->on_start(*this);
}

// ---- guest side -------------------------------------------------------------

std::size_t Flow::guest_send_space() const { return retired_ ? 0 : guest_->send_space(); }

std::size_t Flow::guest_send(std::span<const std::uint8_t> bytes) {
    if (retired_) return 0;
    return guest_->send(bytes);
}

void Flow::guest_consumed(std::size_t bytes) {
    if (!retired_) guest_->consumed(bytes);
}

void Flow::guest_finish() {
    if (retired_) return;
    guest_->finish();
    end_if_done();
}

void Flow::on_guest_bytes(std::span<const std::uint8_t> bytes) {
    if (!retired_) pipeline_->on_guest_bytes(bytes);
}

void Flow::on_guest_finished() {
    if (retired_) return;
    pipeline_->on_guest_finished();
    end_if_done();
}

void Flow::on_guest_acked(std::size_t) {
    if (retired_) return;
    pipeline_->on_guest_send_space();
    end_if_done();
}

void Flow::on_guest_gone(bool was_reset) {
    if (retired_) return;
    if (was_reset) {
        if (table_.verbose()) table_.log("event=flow_reset flow=" + std::to_string(info_.id) + " by=guest");
        close_upstream(true);
        retire();
        return;
    }
    end_if_done();
}

// ---- upstream side ----------------------------------------------------------

void Flow::upstream_connect() {
    if (retired_ || upstream_initialized_) return;
    uv_tcp_init(table_.loop(), &upstream_);
    upstream_initialized_ = true;
    upstream_connecting_ = true;
    connect_timer_.reset(new uv_timer_t);
    uv_timer_init(table_.loop(), connect_timer_.get());
    connect_timer_->data = this;
    sockaddr_storage address{};
    info_.upstream.to_sockaddr(address);
    connect_request_.data = this;
    const int rc = uv_tcp_connect(&connect_request_, &upstream_, reinterpret_cast<const sockaddr*>(&address),
                                  [](uv_connect_t* request, int status) {
                                      static_cast<Flow*>(request->data)->on_connected(status);
                                  });
    if (rc != 0) {
        upstream_connecting_ = false;
        fail_upstream_later(std::string("connect to ") + info_.upstream.to_string() + " failed: " + uv_strerror(rc));
        return;
    }
    uv_timer_start(connect_timer_.get(), [](uv_timer_t* timer) { static_cast<Flow*>(timer->data)->on_connect_deadline(); },
                   table_.limits().connect_timeout_ms, 0);
}

// A failure found inside upstream_connect() is reported from the loop, not
// from inside the pipeline's call.
void Flow::fail_upstream_later(std::string reason) {
    deferred_failure_ = std::move(reason);
    uv_timer_start(connect_timer_.get(), [](uv_timer_t* timer) {
        auto* self = static_cast<Flow*>(timer->data);
        if (!self->retired_) self->pipeline_->on_upstream_failed(self->deferred_failure_);
    }, 0, 0);
}

void Flow::on_connect_deadline() {
    if (retired_ || !upstream_connecting_) return;
    upstream_connecting_ = false;
    pipeline_->on_upstream_failed("connect to " + info_.upstream.to_string() + " timed out");
}

void Flow::on_connected(int status) {
    if (retired_ || !upstream_connecting_) return;
    upstream_connecting_ = false;
    connect_timer_.reset();
    if (status != 0) {
        pipeline_->on_upstream_failed("connect to " + info_.upstream.to_string() + " failed: " + uv_strerror(status));
        return;
    }
    upstream_connected_ = true;
    uv_tcp_nodelay(&upstream_, 1);  // a relay forwards what it has; the guest chose the sizes
    if (!before_connect_.empty()) {
        std::vector<std::uint8_t> pending;
        pending.swap(before_connect_);
        upstream_queued_bytes_ -= pending.size();
        queue_write(pending);
    }
    if (retired_) return;  // writing what was queued failed
    if (shutdown_wanted_) request_shutdown();
    if (!reading_paused_) start_reading();
    pipeline_->on_upstream_connected();
}

std::size_t Flow::upstream_send(std::span<const std::uint8_t> bytes) {
    if (retired_ || bytes.empty() || shutdown_wanted_) return 0;
    if (!upstream_connected_) {
        before_connect_.insert(before_connect_.end(), bytes.begin(), bytes.end());
        upstream_queued_bytes_ += bytes.size();
        return 0;
    }
    std::size_t written = 0;
    if (writes_in_flight_ == 0) {
        uv_buf_t buf = uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(bytes.data())),
                                   static_cast<unsigned>(bytes.size()));
        const int rc = uv_try_write(reinterpret_cast<uv_stream_t*>(&upstream_), &buf, 1);
        if (rc > 0) written = static_cast<std::size_t>(rc);
    }
    if (written < bytes.size()) queue_write(bytes.subspan(written));
    return written;
}

void Flow::queue_write(std::span<const std::uint8_t> bytes) {
    auto* write = new UpstreamWrite{{}, this, std::vector<std::uint8_t>(bytes.begin(), bytes.end())};
    write->request.data = write;
    uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(write->bytes.data()), static_cast<unsigned>(write->bytes.size()));
    const int rc = uv_write(&write->request, reinterpret_cast<uv_stream_t*>(&upstream_), &buf, 1,
                            [](uv_write_t* request, int status) {
                                std::unique_ptr<UpstreamWrite> done(static_cast<UpstreamWrite*>(request->data));
                                done->flow->on_write_done(done->bytes.size(), status);
                            });
    if (rc != 0) {
        delete write;
        reset(std::string("writing upstream failed: ") + uv_strerror(rc));
        return;
    }
    ++writes_in_flight_;
    upstream_queued_bytes_ += bytes.size();
}

void Flow::on_write_done(std::size_t bytes, int status) {
    --writes_in_flight_;
    upstream_queued_bytes_ -= bytes;
    if (retired_) return;
    if (status != 0) {
        reset(std::string("writing upstream failed: ") + uv_strerror(status));
        return;
    }
    pipeline_->on_upstream_sent(bytes);
    end_if_done();
}

void Flow::upstream_finish() {
    if (retired_ || shutdown_wanted_) return;
    shutdown_wanted_ = true;
    if (upstream_connected_) request_shutdown();
}

void Flow::request_shutdown() {
    if (shutdown_started_) return;
    shutdown_started_ = true;
    shutdown_request_.data = this;
    const int rc = uv_shutdown(&shutdown_request_, reinterpret_cast<uv_stream_t*>(&upstream_),
                               [](uv_shutdown_t* request, int) {
                                   auto* self = static_cast<Flow*>(request->data);
                                   self->shutdown_done_ = true;
                                   if (!self->retired_) self->end_if_done();
                               });
    if (rc != 0) shutdown_done_ = true;
}

void Flow::start_reading() {
    if (!upstream_connected_ || upstream_eof_) return;
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(&upstream_),
        [](uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
            auto* self = static_cast<Flow*>(handle->data);
            *buf = uv_buf_init(self->table_.upstream_read_buffer(), static_cast<unsigned>(self->upstream_read_bytes()));
        },
        [](uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) { static_cast<Flow*>(stream->data)->on_read(nread, buf); });
}

// Reads sized to whole guest segments, so a busy download leaves in full
// segments (see LwipTcpConnection::send) instead of one runt per read.
std::size_t Flow::upstream_read_bytes() const {
    std::size_t bytes = FlowTable::kUpstreamReadBytes;
    const std::size_t segment = guest_ ? guest_->segment_bytes() : 0;
    if (segment > 0 && bytes >= segment) bytes -= bytes % segment;
    return bytes;
}

void Flow::upstream_pause_reading() {
    reading_paused_ = true;
    if (upstream_connected_ && !upstream_eof_) uv_read_stop(reinterpret_cast<uv_stream_t*>(&upstream_));
}

void Flow::upstream_resume_reading() {
    if (!reading_paused_) return;
    reading_paused_ = false;
    start_reading();
}

void Flow::on_read(ssize_t nread, const uv_buf_t* buf) {
    if (retired_ || nread == 0) return;
    if (nread > 0) {
        pipeline_->on_upstream_bytes({reinterpret_cast<const std::uint8_t*>(buf->base), static_cast<std::size_t>(nread)});
        return;
    }
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&upstream_));
    if (nread != UV_EOF) {
        reset(std::string("upstream read failed: ") + uv_strerror(static_cast<int>(nread)));
        return;
    }
    upstream_eof_ = true;
    pipeline_->on_upstream_finished();
    end_if_done();
}

// ---- ending -----------------------------------------------------------------

void Flow::reset(std::string_view reason) {
    if (retired_) return;
    table_.log("event=flow_reset flow=" + std::to_string(info_.id) + " dst=" + info_.original_destination.to_string() +
               " reason=\"" + std::string(reason) + "\"");
    guest_->abort();
    close_upstream(true);
    retire();
}

void Flow::abort_both_sides() {
    guest_->abort();
    close_upstream(true);
    retired_ = true;
    pipeline_.reset();  // now, while what the pipeline uses (TLS, consent) still exists
}

// Done when the guest side is closed (both FINs, or gone) and upstream has
// nothing left to write: any later upstream bytes would have no reader.
void Flow::end_if_done() {
    if (retired_ || guest_->attached()) return;
    const bool upstream_idle = !upstream_connected_ || (writes_in_flight_ == 0 && (!shutdown_started_ || shutdown_done_));
    if (!upstream_idle) return;
    if (table_.verbose()) table_.log("event=flow_closed flow=" + std::to_string(info_.id));
    retire();
}

void Flow::retire() {
    if (retired_) return;
    retired_ = true;
    connect_timer_.reset();
    table_.retire(this);
}

void Flow::on_upstream_closed(uv_handle_t* handle) {
    auto* self = static_cast<Flow*>(handle->data);
    self->upstream_closed_ = true;
    if (self->delete_when_closed_) delete self;
}

// RST (SO_LINGER 0) when the flow was reset, so upstream sees the abort too.
void Flow::close_upstream(bool with_reset) {
    auto* handle = reinterpret_cast<uv_handle_t*>(&upstream_);
    if (!upstream_initialized_ || uv_is_closing(handle)) return;
    if (with_reset && uv_tcp_close_reset(&upstream_, &Flow::on_upstream_closed) == 0) return;
    uv_close(handle, &Flow::on_upstream_closed);
}

// Called by the reaper, never from inside a pipeline call: the pipeline goes
// now (a held request's question is cancelled at once); the flow itself
// once its socket has closed.
void Flow::close_and_delete() {
    pipeline_.reset();
    if (!upstream_initialized_ || upstream_closed_) {
        delete this;
        return;
    }
    delete_when_closed_ = true;
    close_upstream(false);
}

}  // namespace askfirst::netstack
