// Connection: one TCP connection's state machine (RFC 9293), its transmission control block and
// buffers. Input (tcp_input.cpp) takes a parsed segment and the time; output (tcp_output.cpp)
// decides what to send and hands segments to a SegmentSink; timers (tcp_timers.cpp) fire at
// poll_at(). No I/O and no clock of its own, so a test drives it segment by segment.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <variant>

#include "stack/base/buffer.hpp"
#include "stack/base/time.hpp"
#include "stack/base/token_bucket.hpp"
#include "stack/tcp/config.hpp"
#include "stack/tcp/congestion.hpp"
#include "stack/tcp/rack.hpp"
#include "stack/tcp/recv_buffer.hpp"
#include "stack/tcp/rtt.hpp"
#include "stack/tcp/sack_scoreboard.hpp"
#include "stack/tcp/send_buffer.hpp"
#include "stack/tcp/seq.hpp"
#include "stack/tcp/state.hpp"
#include "stack/tcp/trace.hpp"
#include "stack/wire/ipv4_address.hpp"
#include "stack/wire/tcp.hpp"

namespace tundra::tcp {

// A connection's identity: both ends' addresses and ports (RFC 9293 3.2).
struct FourTuple {
  wire::ipv4::Address local_addr;
  uint16_t local_port = 0;
  wire::ipv4::Address remote_addr;
  uint16_t remote_port = 0;
  auto operator<=>(const FourTuple&) const = default;
  std::string to_string() const;
};

// A segment on its way out: the header as a value and the payload with header room in front.
struct OutSegment {
  wire::tcp::Repr header;
  PacketBuffer payload;
};

// Where connections send segments: the TCP layer (which adds the headers and hands them to IPv4)
// or, in tests, a recorder.
class SegmentSink {
 public:
  virtual ~SegmentSink() = default;
  virtual void send(const FourTuple& tuple, OutSegment segment, Instant now) = 0;
};

// Counters a connection keeps for the tables and traces.
struct ConnectionStats {
  uint64_t segments_in = 0, segments_out = 0;
  uint64_t bytes_in = 0, bytes_out = 0;  // payload bytes received in order / sent (first time)
  uint64_t retransmits = 0, fast_retransmits = 0, timeouts = 0;
  uint64_t rack_lost = 0;            // segments RACK (RFC 8985 6) marked lost
  uint64_t spurious_timeouts = 0;    // timeouts the Eifel detection found spurious (RFC 3522)
  uint64_t dsacks_in = 0;            // ACKs reporting a duplicate with D-SACK (RFC 2883)
  uint64_t reo_wnd_grown = 0;        // of which RACK's reordering window grew (RFC 8985 6.2)
  uint64_t spurious_recoveries = 0;  // fast recoveries undone: all resends D-SACKed (RFC 3708)
  uint64_t dup_acks_in = 0, out_of_order_in = 0, challenge_acks = 0, zero_window_probes = 0;
  uint64_t duplicates_in = 0;  // segments whose text we held already (answered with D-SACK)
  uint64_t not_stored_in = 0;  // segments whose text went unstored: beyond the window, or
                               // one range too many held out of order
};

// The timer a connection runs at a time (DESIGN.md: one small value, not a scatter of flags).
namespace timer {
struct Idle {};  // nothing pending (keep-alive, if on, counts from last input)
// RFC 6298: data, SYN or FIN outstanding. RFC 8985 8: the probe and the reordering timer take
// the retransmission timer's place while they run (one timer, with what it is for).
struct Retransmit {
  enum class Then : uint8_t {
    Timeout,  // the RTO (RFC 6298 5.4)
    Probe,    // a tail loss probe (RFC 8985 7.3)
    Reorder,  // RACK looks again once the reordering window has passed (RFC 8985 6.2)
  };
  Instant at;
  Then then = Then::Timeout;
};
struct Persist {
  Instant at;
};  // RFC 9293 3.8.6.1: zero window, data waiting
struct TimeWait {
  Instant at;
};  // RFC 9293 3.10.7.4: 2·MSL before the tuple is free
}  // namespace timer
using Timer = std::variant<timer::Idle, timer::Retransmit, timer::Persist, timer::TimeWait>;

class Connection {
 public:
  // A connection for an active open (connect): call open() to send the SYN.
  Connection(const TcpConfig& config, FourTuple tuple, Seq iss, size_t mtu);

  // RFC 9293 3.10.1 active OPEN: sends SYN, enters SYN-SENT.
  void open(Instant now, SegmentSink& out);
  // RFC 9293 3.10.7.2: a SYN arrived at a listener; enters SYN-RECEIVED and answers SYN-ACK.
  void accept_syn(const wire::tcp::Repr& syn, Instant now, SegmentSink& out);

  // RFC 9293 3.10.7: a segment for this connection (checksum already verified). `datagram`, when
  // given, is the buffer `payload` lies in: a large in-order segment's buffer may be moved out
  // of it and kept as received data (RecvBuffer::insert) instead of being copied.
  void input(const wire::tcp::Repr& seg, std::span<const std::byte> payload, Instant now,
             SegmentSink& out, PacketBuffer* datagram = nullptr);
  // Sends whatever is due: SYN, data, FIN, window updates, ACKs.
  void output(Instant now, SegmentSink& out);
  // Runs timers due at `now` (retransmission, persist, delayed ACK, keep-alive, TIME-WAIT).
  void on_timer(Instant now, SegmentSink& out);
  // The next instant on_timer() has something to do.
  std::optional<Instant> poll_at() const;

  // Application side (the socket facade, under its lock).
  size_t send(std::span<const std::byte> data);  // into the send buffer; returns bytes taken
  size_t recv(std::span<std::byte> out, bool peek = false);
  size_t discard(size_t max);  // recv() without the copy (MSG_TRUNC)
  void shutdown_write();       // RFC 9293 3.10.4 CLOSE for sending: FIN after the data
  void close(Instant now, SegmentSink& out);  // both ways; RST instead if unread data is lost
  void abort(Instant now, SegmentSink& out);  // RFC 9293 3.10.5 ABORT: RST, CLOSED
  bool readable() const;                      // data, end of stream or an error to report
  bool writable() const;                      // room in the send buffer in a state that sends
  bool at_eof() const;                        // the peer's FIN has been received and all data read
  int take_error();  // pending error (ECONNRESET…), cleared when read, like SO_ERROR
  int error() const { return error_; }

  // Options from the facade.
  void set_nodelay(bool on) { nodelay_ = on; }
  bool nodelay() const { return nodelay_; }
  void set_keepalive(bool on, Instant now);
  bool keepalive() const { return keepalive_; }
  // Setting either turns its auto-tuning off (TcpConfig::rcvbuf_max).
  void set_rcvbuf(size_t bytes) {
    rcv_.set_capacity(bytes);
    rcv_autotune_ = false;
  }
  void set_sndbuf(size_t bytes) {
    snd_buf_.set_capacity(bytes);
    snd_autotune_ = false;
  }
  size_t rcvbuf() const { return rcv_.capacity(); }

  // ACK coalescing for a batch of datagrams read in one go (Tcp::begin_batch): while on, the
  // every-second-segment ACK is held back (deferred_ack()) and sent once the batch has been read,
  // as Linux does for a GRO-merged run of segments. So are duplicate ACKs and gap fills when SACK
  // is on (ack_at_once_or_after_batch); window updates are never held.
  void set_coalescing(bool on) { coalescing_ = on; }
  bool deferred_ack() const { return deferred_ack_; }
  size_t sndbuf() const { return snd_buf_.capacity(); }

  // Read-only views for the layer, the facade, tests and the connection table.
  State state() const { return state_; }
  const FourTuple& tuple() const { return tuple_; }
  Seq iss() const { return iss_; }
  Seq irs() const { return irs_; }
  bool irs_known() const { return irs_known_; }  // a SYN has arrived: IRS means something
  Seq snd_una() const { return snd_una_; }
  Seq snd_nxt() const { return snd_nxt_; }
  Seq snd_max() const { return snd_max_; }
  size_t snd_wnd() const { return snd_wnd_; }
  Seq rcv_nxt() const { return rcv_nxt_; }
  size_t rcv_wnd() const { return rcv_.window(); }
  size_t mss() const { return smss_; }
  size_t bytes_in_flight() const;
  size_t send_queued() const { return snd_buf_.size(); }
  size_t recv_queued() const { return rcv_.readable(); }
  const RttEstimator& rtt() const { return rtt_; }
  const CongestionControl& congestion() const { return *cc_; }
  const Rack& rack() const { return rack_; }
  const ConnectionStats& stats() const { return stats_; }
  const Timer& timer() const { return timer_; }
  bool timestamps_enabled() const { return ts_enabled_; }
  bool sack_enabled() const { return sack_enabled_; }
  uint8_t snd_wscale() const { return snd_wscale_; }
  uint8_t rcv_wscale() const { return rcv_wscale_; }
  // When open() or accept_syn() started the connection (its age in the connection table).
  Instant opened_at() const { return opened_at_; }
  // Swaps the congestion control algorithm (TCP_CONGESTION); false for a name it does not know.
  // The new algorithm starts from its initial window with the negotiated MSS.
  bool set_congestion_control(std::string_view name);
  // True once the connection is over and its slot may be freed (CLOSED, or TIME-WAIT expired).
  bool finished() const { return state_ == State::Closed; }
  // The instant TIME-WAIT started, for the layer's cap on TIME-WAIT entries.
  std::optional<Instant> time_wait_since() const { return time_wait_since_; }

  // For the layer: the challenge-ACK budget is shared by all connections (RFC 5961 7).
  void set_challenge_budget(TokenBucket* budget) { challenge_budget_ = budget; }
  // Where this connection reports its events (trace.hpp); nullptr (the default) traces nothing.
  void set_trace(TraceSink* sink) { trace_ = sink; }

 private:
  // Input, in RFC 9293 3.10.7's order (tcp_input.cpp).
  void input_syn_sent(const wire::tcp::Repr& seg, std::span<const std::byte> payload, Instant now,
                      SegmentSink& out);
  bool acceptable(const wire::tcp::Repr& seg, size_t seg_len) const;
  bool process_ack(const wire::tcp::Repr& seg, size_t payload_len, Instant now, SegmentSink& out);
  void process_text(const wire::tcp::Repr& seg, std::span<const std::byte> payload, Instant now,
                    PacketBuffer* datagram);
  void process_fin(Instant now);
  void update_window(const wire::tcp::Repr& seg);
  void negotiate(const wire::tcp::Options& peer);
  // Takes an RTT sample from this ACK where Karn's rule allows one, and returns it.
  std::optional<Duration> rtt_sample(const wire::tcp::Repr& seg, Seq acked_to, Instant now);
  void send_challenge_ack(Instant now, SegmentSink& out);
  void reset(int error);  // to CLOSED with `error` for the application
  void enter_time_wait(Instant now);

  // Tracing (tcp_trace.cpp). Each entry point (input, output, on_timer, open, close, …) holds a
  // TraceScope, which reports state and cwnd/ssthresh changes when the call returns.
  struct TraceScope {
    TraceScope(Connection& conn, Instant at) : c(conn), now(at) {}
    ~TraceScope() {
      if (c.trace_) c.trace_changes(now);
    }
    TraceScope(const TraceScope&) = delete;
    TraceScope& operator=(const TraceScope&) = delete;
    Connection& c;
    Instant now;
  };
  TraceEvent trace_event(TraceKind kind, Instant now) const;
  void trace(TraceKind kind, Instant now, std::optional<Seq> seq = std::nullopt,
             std::string detail = {});
  void trace_segment(TraceKind kind, const wire::tcp::Repr& h, size_t len, Instant now,
                     bool retransmission);
  void trace_changes(Instant now);
  void trace_rtt(Duration sample, Instant now);

  // Output (tcp_output.cpp).
  // Every segment leaves through here: counted, traced, handed to the sink.
  void transmit(OutSegment segment, Instant now, SegmentSink& out, bool retransmission = false);
  void send_syn(bool with_ack, Instant now, SegmentSink& out);
  size_t send_data(Instant now, SegmentSink& out);
  void send_segment(Seq seq, size_t len, bool fin, Instant now, SegmentSink& out,
                    bool retransmission);
  void send_ack(Instant now, SegmentSink& out);
  // In SACK recovery: new data while the pipe allows (RFC 6675 NextSeg rule 3).
  void send_new_in_recovery(Instant now, SegmentSink& out);
  // Bytes that may go now in SACK recovery: RFC 6937's sndcnt with PRR, else cwnd - pipe.
  size_t recovery_budget() const;
  // After congestion control saw an ACK: starts, feeds or ends PRR's accounting.
  void update_prr(bool was_recovering, size_t flight_before, size_t delivered);
  // After congestion control saw an ACK or a loss: a recovery that starts or ends, for RACK's
  // reordering window and for the undo of a spurious recovery.
  void note_recovery(bool was_recovering, Instant now);
  // A D-SACK block [begin, end) arrived: counts off the recovery's resends it reports; once the
  // recovery is over and none is left, it was spurious and is undone.
  void dsack_for_recovery(Seq begin, Seq end, Instant now);
  void undo_recovery_if_spurious(Instant now);
  // Full-sized segments `bytes` take, the last one partial.
  size_t segments_in(size_t bytes) const { return (bytes + smss_ - 1) / smss_; }
  // After new data went out: the tail loss probe's timer starts again (RFC 8985 7.2).
  void restart_probe_timer(Instant now);
  // Before the ACK that ends a read batch: ACKs for the ranges it touched beyond what one ACK's
  // SACK blocks hold.
  void send_older_sack_blocks(Instant now, SegmentSink& out);
  // Text we held already arrived again: counted, and with SACK reported by D-SACK (RFC 2883).
  void note_duplicate(Seq seq, size_t len);
  // RFC 6675 4, simplified: bytes sent and neither acknowledged, SACKed nor lost unresent.
  size_t sack_pipe() const;
  // Owes an ACK for out-of-order data or a filled gap: now, or after the read batch with SACK.
  void ack_at_once_or_after_batch();
  void send_rst(Seq seq, Instant now, SegmentSink& out);
  wire::tcp::Repr header(Seq seq, wire::tcp::Flags flags, Instant now);
  uint16_t advertised_window();
  uint32_t ts_now(Instant now) const;
  void retransmit_first(Instant now, SegmentSink& out);
  // In recovery, retransmit what RACK marked lost and the holes the SACK scoreboard deems lost
  // (RFC 6675 IsLost), lowest first, as far as the congestion window allows. Returns false when
  // SACK has nothing to say.
  bool sack_recovery(Instant now, SegmentSink& out);
  // The first ACK-losing event of a recovery or the partial ACKs of one: retransmit.
  void recover(Instant now, SegmentSink& out);
  // RFC 8985 7: the probe timeout, for a tail loss probe before the full RTO.
  std::optional<Duration> probe_timeout() const;
  void send_tail_loss_probe(Instant now, SegmentSink& out);
  // The RTO, or a tail loss probe first where RFC 8985 7.2 (or `probe_in_recovery`) allows.
  void arm_retransmit(Instant now, bool probe_in_recovery = false);
  // RACK's look at this ACK (RFC 8985 6.2 step 5): marks, counts and traces the losses found;
  // returns when to look again if no ACK comes first.
  std::optional<Instant> detect_rack_losses(Instant now);
  // RFC 8985 6.2: RACK looks again at `at` unless an ACK comes first (the RTO, if sooner, stays).
  void arm_reorder_timer(Instant at);
  void refresh_timer(Instant now);  // keeps timer_ consistent with what is outstanding
  size_t unsent() const;            // bytes in the send buffer not yet sent
  bool fin_outstanding() const;

  // Timers (tcp_timers.cpp).
  void on_retransmit_timeout(Instant now, SegmentSink& out);
  void on_reorder_timeout(Instant now, SegmentSink& out);
  // The first ACK of new data after a timeout: was the timeout spurious (RFC 3522)? If so, the
  // reduction is undone and sending goes on from SND.MAX (RFC 4015).
  void check_spurious_timeout(const wire::tcp::Repr& seg, size_t acked, Instant now);
  // A timeout's retransmission is pending judgement and `seg` echoes a TSval older than it.
  bool echo_predates_rto(const wire::tcp::Repr& seg) const;
  // With timestamps: from when on a segment we sent carried a TSval above `seg`'s TSecr.
  std::optional<Instant> echo_after(const wire::tcp::Repr& seg, Instant now) const;
  void on_persist_timeout(Instant now, SegmentSink& out);

  const TcpConfig& config_;
  FourTuple tuple_;
  State state_ = State::Closed;
  bool passive_ = false;  // opened by a listener (SYN-RECEIVED goes back to LISTEN on RST)

  // Send sequence space (RFC 9293 3.3.1).
  Seq iss_, snd_una_, snd_nxt_, snd_max_;  // snd_max_: highest sequence number sent so far
  Seq snd_wl1_, snd_wl2_;
  size_t snd_wnd_ = 0;      // scaled
  size_t max_snd_wnd_ = 0;  // largest window the peer offered (RFC 1122 4.2.3.4, RFC 5961 5.2)
  uint8_t snd_wscale_ = 0;  // the peer's shift, applied to windows it sends

  // Receive sequence space.
  Seq irs_, rcv_nxt_;
  bool irs_known_ = false;  // IRS set from the peer's SYN
  Seq rcv_adv_;             // right edge of the window last advertised: never moved back
  uint8_t rcv_wscale_ = 0;  // our shift, applied to windows we send

  size_t mtu_;
  size_t smss_ = 536;  // RFC 9293 3.7.1: sender MSS, the effective payload size per segment
  size_t rmss_;        // our MSS option: MTU minus 40

  SendBuffer snd_buf_;
  RecvBuffer rcv_;
  SackScoreboard scoreboard_;
  Rack rack_;  // RFC 8985 loss detection, with SACK
  // RFC 6937 Proportional Rate Reduction, during a SACK recovery of an algorithm that reduces
  // its window (not BBR): RecoverFS, prr_delivered, prr_out, and the last ACK's DeliveredData.
  struct Prr {
    size_t recover_fs = 0, delivered = 0, out = 0, last_delivered = 0;
  };
  std::optional<Prr> prr_;
  // RFC 3708's detection of a spurious fast recovery (with SACK): the data outstanding when it
  // began, [begin, end), and its segments resent and not yet reported back as duplicates.
  struct RecoveryResends {
    Seq begin, end;
    size_t outstanding = 0;
    bool any = false;    // something was resent
    bool ended = false;  // the recovery is over: what is left is the D-SACKs
  };
  std::optional<RecoveryResends> resends_;
  // SND.MAX when a timeout started an RTO recovery: it ends once SND.UNA passes it.
  std::optional<Seq> rto_recovery_until_;
  RttEstimator rtt_;
  std::unique_ptr<CongestionControl> cc_;
  // Delivery rate samples, kept only for an algorithm that wants them (BBR).
  std::unique_ptr<DeliveryRate> rate_;
  void fill_rate_sample(AckEvent& e, size_t newly_delivered, Instant now);
  // What an ACK event says about SACK and loss: SACK in use, RACK found a loss (`rack_lost`), and
  // SACK information coming, so that RACK, not the duplicate count, starts a recovery.
  void fill_loss_fields(AckEvent& e, bool rack_lost) const;
  void autotune_send_buffer(bool snd_una_advanced);

  bool fin_queued_ = false;      // the application shut down writing: FIN after the data
  std::optional<Seq> fin_seq_;   // our FIN's sequence number, once sent
  bool app_closed_ = false;      // close() called: data arriving now is answered with RST
  bool fin_received_ = false;    // the peer's FIN has been processed (rcv_nxt is past it)
  std::optional<Seq> peer_fin_;  // a FIN that arrived out of order, waiting for the data before it
  bool ack_now_ = false;         // an ACK is owed right away
  size_t deferred_sacks_ = 0;    // ACKs held back in a read batch since the last ACK sent
  unsigned dup_acks_run_ = 0;    // duplicate ACKs since SND.UNA last moved (for the trace)
  size_t unacked_full_segments_ = 0;  // RFC 1122 4.2.3.2: ACK at least every second one
  bool coalescing_ = false;           // in a read batch: set_coalescing()
  bool rcv_autotune_ = true, snd_autotune_ = true;  // TcpConfig::rcvbuf_max, sndbuf_max
  bool deferred_ack_ = false;                       // an ACK held back until the batch ends
  unsigned quickacks_left_ = 0;                     // data segments still ACKed at once (config)
  bool app_read_ = false;  // the application took bytes since our last segment went out
  std::optional<Instant> ack_deadline_;  // delayed ACK
  bool nodelay_ = false;                 // TCP_NODELAY: no Nagle
  bool ts_enabled_ = false, sack_enabled_ = false;
  uint32_t ts_recent_ = 0;  // RFC 7323 4.3
  Seq last_ack_sent_;
  uint32_t ts_offset_;                                 // randomises TSval per connection
  std::optional<std::pair<Seq, Instant>> rtt_timing_;  // a segment being timed (no timestamps)
  unsigned retries_ = 0;                               // consecutive retransmission timeouts
  // RFC 3522 (Eifel detection): the TSval of a timeout's first retransmission, until the first
  // ACK after it tells whether the original had arrived.
  std::optional<uint32_t> rto_retransmit_ts_;
  size_t extra_allowance_ = 0;  // bytes congestion control lets go beyond cwnd (limited transmit)
  std::optional<std::pair<Seq, Seq>> dsack_;  // a duplicate for the next ACK (RFC 2883)
  uint64_t sack_reported_ = 0;  // rcv_.arrivals() when an ACK last carried the newest blocks
  size_t sack_skip_ = 0;        // header(): leave out that many of the newest blocks
  bool tlp_out_ = false;        // a probe went and no ACK has come since (RFC 8985 7.3)
  // What the last probe sent again: a D-SACK of it says only that the original had arrived
  // and its ACK was lost (RFC 8985 7.4.2), nothing of reordering.
  std::optional<std::pair<Seq, Seq>> tlp_rexmit_;
  std::optional<Instant> last_invalid_ack_;  // last ACK sent for a bare unacceptable segment
  Timer timer_ = timer::Idle{};
  bool keepalive_ = false;
  unsigned keepalive_sent_ = 0;
  std::optional<Instant> keepalive_at_;
  Instant last_input_;
  Instant opened_at_;
  std::optional<Instant> time_wait_since_;
  Instant last_send_;  // for RFC 5681 4.1 restart after idle
  int error_ = 0;
  bool error_reported_ = false;
  TokenBucket* challenge_budget_ = nullptr;
  ConnectionStats stats_;
  TraceSink* trace_ = nullptr;
  // What the trace last reported, so changes are reported once.
  State traced_state_ = State::Closed;
  size_t traced_cwnd_ = 0, traced_ssthresh_ = 0;
};

}  // namespace tundra::tcp
