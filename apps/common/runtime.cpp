// The runtime every program shares: link chain, stack, loop thread, signals, counters.
#include "apps/common/runtime.hpp"

#include <fmt/format.h>
#include <malloc.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <random>

#include "netif/fault_injector.hpp"
#include "netif/pcap_writer.hpp"
#include "netif/tracer.hpp"
#include "netif/tun_link.hpp"

namespace tundra::app {

namespace {
// How long a program's exit waits for its connections' closing handshakes (finish_closing).
constexpr std::chrono::milliseconds kCloseGrace{1000};
}  // namespace

std::unique_ptr<netif::Link> wrap_link(std::unique_ptr<netif::Link> device, const CommonOptions& o,
                                       const Clock& clock) {
  std::unique_ptr<netif::Link> link = std::move(device);
  if (o.faults.any()) {
    netif::FaultDirection d;
    d.loss = o.faults.loss;
    d.duplicate = o.faults.duplicate;
    d.reorder = o.faults.reorder;
    d.corrupt = o.faults.corrupt;
    d.delay = Duration(static_cast<int64_t>(o.faults.delay_ms * 1000));
    d.jitter = Duration(static_cast<int64_t>(o.faults.jitter_ms * 1000));
    d.rate_mbit = o.faults.rate_mbit;
    d.rate_queue_limit = o.faults.rate_queue;
    netif::FaultConfig fc;
    if (o.faults.direction != "out") fc.inbound = d;
    if (o.faults.direction != "in") fc.outbound = d;
    fc.seed = o.faults.seed;
    link = std::make_unique<netif::FaultInjector>(std::move(link), fc);
  }
  if (!o.pcap.empty()) {
    link = std::make_unique<netif::PcapWriter>(
        std::move(link), o.pcap, [&clock](Instant t) { return clock.wall_micros(t); });
  }
  return std::make_unique<netif::Tracer>(std::move(link));
}

Runtime::Runtime(const CommonOptions& o, const ConfigureStack& configure) {
  // Buffers come and go by the megabyte at full speed (send and receive storage, 64 KiB offload
  // datagrams). glibc would hand the top of the heap back to the kernel whenever 128 KiB is free
  // and take it again moments later, a page fault per page each time; keep up to 64 MiB instead,
  // and never mmap a block under 4 MiB.
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  netif::TunConfig tc;
  tc.name = o.tun;
  tc.mtu = o.mtu;
  tc.host_addr = o.host_addr;
  tc.offload = o.offload;
  tc.tx_thread = tx_thread_wanted(o);
  link_ = wrap_link(netif::TunLink::open(tc), o, clock_);
  description_ = link_->describe();

  StackConfig sc;
  sc.ipv4.address = o.addr;
  sc.ipv4.gateway = o.gateway;
  sc.seed = std::random_device{}();
  sc.tcp = o.tcp;  // the defaults, with --tcp's settings
  if (o.time_wait_s)
    sc.tcp.msl = std::chrono::milliseconds(static_cast<int64_t>(*o.time_wait_s * 500));
  sc.tcp.nodelay_default = o.nodelay;
  sc.tcp.congestion_control = o.cc;
  if (o.ephemeral_ports) {
    sc.tcp.ephemeral_first = o.ephemeral_ports->first;
    sc.tcp.ephemeral_last = o.ephemeral_ports->second;
  }
  if (configure) configure(sc);
  stack_ = std::make_unique<Stack>(*link_, sc);
  if (!o.tcp_trace.empty()) {
    trace_ = std::make_unique<TraceFile>(o.tcp_trace);
    stack_->tcp().set_trace(trace_.get());
  }
  loop_ = std::make_unique<EventLoop>(clock_, *stack_);
  loop_->set_busy_poll(std::chrono::microseconds(o.busy_poll_us));
  sockets_ = std::make_unique<sock::SocketApi>(*loop_);
  if (!o.control.empty()) {
    ControlConfig cc;
    cc.path = o.control;
    control_ = std::make_unique<ControlServer>(*loop_, cc);
  }
}

Runtime::~Runtime() {
  stop();
  if (counters_at_exit_) print_counters();
}

void Runtime::stop() {
  control_.reset();  // joins its thread and removes the socket file, before the loop stops
  // Close sockets before the loop stops, so blocked application threads see EBADF and return.
  sockets_->close_all();
  // The closes just made, and those the program made before it returned, end with the peer's
  // FIN or ACK: wait a moment for them (the peer answers in a round trip; a second covers a
  // lost segment's first retransmission).
  if (const size_t left = sockets_->finish_closing(kCloseGrace))
    spdlog::debug("exit: {} connection(s) still closing after {} ms", left, kCloseGrace.count());
  loop_->stop();
  if (trace_) {
    std::lock_guard lock(loop_->mutex());  // an application thread may still be closing
    trace_->flush();
  }
}

void Runtime::block_signals(int done_signal) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);
  if (done_signal != 0) sigaddset(&set, done_signal);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void Runtime::start() {
  loop_->start();
}

void Runtime::wait_for_stop_signal(const std::function<void()>& on_usr1) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);
  while (true) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGUSR1) {
      print_counters();
      if (on_usr1) on_usr1();
      continue;
    }
    spdlog::info("{}: stopping", strsignal(sig));
    return;
  }
}

int Runtime::wait_for_end(std::optional<std::chrono::steady_clock::time_point> deadline,
                          int done_signal) {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGINT, SIGTERM, SIGUSR1, done_signal})
    sigaddset(&set, sig);
  while (true) {
    int sig = -1;
    if (deadline) {
      const auto left = *deadline - std::chrono::steady_clock::now();
      if (left <= std::chrono::steady_clock::duration::zero()) return 0;
      const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
      const timespec ts{static_cast<time_t>(ns / 1'000'000'000),
                        static_cast<long>(ns % 1'000'000'000)};
      sig = sigtimedwait(&set, nullptr, &ts);
    } else {
      sig = sigwaitinfo(&set, nullptr);
    }
    if (sig < 0) continue;  // EAGAIN (deadline, checked above) or EINTR
    if (sig == SIGUSR1) {
      print_counters();
      continue;
    }
    return sig;
  }
}

void Runtime::print_counters() {
  CounterReport r;
  {
    std::lock_guard lock(loop_->mutex());
    r = stack_->report();
    r.push_back(loop_->report());
  }
  fmt::print(stderr, "{}", format_report(r));
  std::fflush(stderr);
}

}  // namespace tundra::app
