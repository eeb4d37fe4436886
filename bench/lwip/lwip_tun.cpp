// lwip-tun: lwIP (Debian's liblwip, as built) serving TCP discard (9) and a chargen-like source
// (19) over a Linux TUN device, as a reference for tundra's benchmarks.
//
//   lwip-tun [--tun NAME] [--addr A.B.C.D] [--host-addr A.B.C.D/P] [--mtu N] [--input lock|mbox]
//
// The library (see README.md) is built NO_SYS=0 with LWIP_TCPIP_CORE_LOCKING=1, MEM_LIBC_MALLOC and
// MEMP_MEM_MALLOC, TCP_MSS 1460, TCP_WND = TCP_SND_BUF = 65535; only the raw TCP API is used here.
//
// Threading: tcpip_init starts lwIP's tcpip thread, which runs the timers. A reader thread of ours
// waits on the TUN fd; with --input lock (the default) it takes the core lock once per batch of
// datagrams (up to kBatch, until EAGAIN) and hands each to ip4_input itself, as lwIP's own
// LWIP_TCPIP_CORE_LOCKING_INPUT would, without a lock round per packet; with --input mbox it
// passes each to tcpip_input (no lock needed), which queues it for the tcpip thread. Every other
// call into lwIP (setup, the TCP callbacks, teardown) runs with the core lock held. Output happens
// in whichever thread holds the lock, straight to the TUN fd with write (or writev for a chain).
//
// Packet buffers: each datagram is read straight into a PBUF_RAM pbuf (heap, never the pools; with
// MEM_LIBC_MALLOC that is malloc) sized for the MTU, then cut to length with pbuf_realloc, which
// only adjusts lengths (mem_trim is a no-op with the C library's malloc).

// Debian's lwipopts.h declares the unix port's core-lock hooks outside any extern "C" block;
// declared here first with C linkage, its later plain declarations keep that linkage ([dcl.link]).
extern "C" {
void sys_check_core_locking(void);
void sys_mark_tcpip_thread(void);
void sys_lock_tcpip_core(void);
void sys_unlock_tcpip_core(void);
}

#include <lwip/init.h>
#include <lwip/ip4.h>
#include <lwip/ip4_addr.h>
#include <lwip/netif.h>
#include <lwip/opt.h>
#include <lwip/pbuf.h>
#include <lwip/sys.h>
#include <lwip/tcp.h>
#include <lwip/tcpip.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <string>
#include <string_view>
#include <thread>

namespace {

constexpr const char* kProg = "lwip-tun";
constexpr u16_t kDiscardPort = 9;
constexpr u16_t kSourcePort = 19;
constexpr unsigned kMinMtu = 576;
// pbuf_alloc takes a u16_t length and adds its header: stay clear of the wrap-around.
constexpr unsigned kMaxMtu = 65000;
// Datagrams handled per hold of the core lock before the lock is let go (so timers run).
constexpr int kBatch = 64;

[[noreturn]] void usage_error(const std::string& msg) {
  std::fprintf(stderr, "%s: error: %s (see --help)\n", kProg, msg.c_str());
  std::exit(2);
}

[[noreturn]] void fatal(const std::string& msg) {
  std::fprintf(stderr, "%s: error: %s\n", kProg, msg.c_str());
  std::exit(1);
}

[[noreturn]] void fatal_errno(const std::string& what) {
  fatal(what + ": " + std::strerror(errno));
}

enum class InputMode { lock, mbox };

struct Options {
  std::string tun = "tun0";
  in_addr addr{};        // lwIP's address
  in_addr host{};        // the kernel side's address
  unsigned prefix = 24;  // the kernel side's prefix length
  unsigned mtu = 1500;
  InputMode input = InputMode::lock;
};

void print_help() {
  std::printf(
      "Usage: %s [options]\n"
      "lwIP (the system's liblwip) on a TUN device of its own, serving TCP discard on port 9 and "
      "a\n"
      "chargen-like source on port 19, for benchmarks. Runs until SIGINT or SIGTERM.\n"
      "\n"
      "Options:\n"
      "  --tun NAME            TUN device to create (default tun0)\n"
      "  --addr A.B.C.D        lwIP's address (default 10.0.0.2)\n"
      "  --host-addr A.B.C.D/P the kernel side's address and prefix (default 10.0.0.1/24)\n"
      "  --mtu N               MTU of the device, %u..%u (default 1500)\n"
      "  --input lock|mbox     how datagrams reach lwIP: ip4_input under the core lock from the\n"
      "                        reader thread (default), or tcpip_input through the tcpip mailbox\n"
      "  -h, --help            this help\n"
      "\n"
      "Exit codes: 0 stopped by a signal, 1 setup failed, 2 bad arguments.\n",
      kProg, kMinMtu, kMaxMtu);
}

in_addr parse_ipv4(std::string_view opt, const std::string& text) {
  in_addr a{};
  if (inet_pton(AF_INET, text.c_str(), &a) != 1) {
    usage_error(std::string(opt) + ": '" + text + "' is not an IPv4 address");
  }
  return a;
}

bool parse_uint(std::string_view text, unsigned& out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end && !text.empty();
}

std::uint32_t mask_of(unsigned prefix) {
  return prefix == 0 ? 0u : htonl(~std::uint32_t{0} << (32 - prefix));
}

Options parse_args(int argc, char** argv) {
  Options o;
  o.addr = parse_ipv4("--addr", "10.0.0.2");
  o.host = parse_ipv4("--host-addr", "10.0.0.1");
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      print_help();
      std::exit(0);
    }
    std::string value;
    bool has_inline = false;
    if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_inline = true;
    }
    auto need_value = [&]() -> std::string {
      if (has_inline) {
        return value;
      }
      if (i + 1 >= argc) {
        usage_error(arg + " needs a value");
      }
      return argv[++i];
    };
    if (arg == "--tun") {
      o.tun = need_value();
      if (o.tun.empty() || o.tun.size() >= IFNAMSIZ ||
          o.tun.find_first_of("/ \t") != std::string::npos || o.tun == "." || o.tun == "..") {
        usage_error("--tun: '" + o.tun + "' is not a usable device name (1.." +
                    std::to_string(IFNAMSIZ - 1) + " characters, no '/' or spaces)");
      }
    } else if (arg == "--addr") {
      o.addr = parse_ipv4(arg, need_value());
    } else if (arg == "--host-addr") {
      std::string v = need_value();
      auto slash = v.find('/');
      if (slash == std::string::npos) {
        usage_error("--host-addr: '" + v + "' is not ADDRESS/PREFIX (e.g. 10.0.0.1/24)");
      }
      o.host = parse_ipv4(arg, v.substr(0, slash));
      if (!parse_uint(std::string_view(v).substr(slash + 1), o.prefix) || o.prefix < 1 ||
          o.prefix > 30) {
        usage_error("--host-addr: prefix '" + v.substr(slash + 1) + "' is not in 1..30");
      }
    } else if (arg == "--mtu") {
      std::string v = need_value();
      if (!parse_uint(v, o.mtu) || o.mtu < kMinMtu || o.mtu > kMaxMtu) {
        usage_error("--mtu: '" + v + "' is not in " + std::to_string(kMinMtu) + ".." +
                    std::to_string(kMaxMtu));
      }
    } else if (arg == "--input") {
      std::string v = need_value();
      if (v == "lock") {
        o.input = InputMode::lock;
      } else if (v == "mbox") {
        o.input = InputMode::mbox;
      } else {
        usage_error("--input: '" + v + "' is not lock or mbox");
      }
    } else if (arg.rfind("-", 0) == 0) {
      usage_error("unknown option " + arg);
    } else {
      usage_error("unexpected argument '" + arg + "'");
    }
  }
  const std::uint32_t mask = mask_of(o.prefix);
  if (o.addr.s_addr == o.host.s_addr) {
    usage_error("--addr and --host-addr are the same address");
  }
  if ((o.addr.s_addr & mask) != (o.host.s_addr & mask)) {
    usage_error("--addr is not in the --host-addr subnet");
  }
  return o;
}

// --- The TUN device -----------------------------------------------------------------------------

ifreq make_ifreq(const std::string& name) {
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name.data(), std::min(name.size(), std::size_t{IFNAMSIZ - 1}));
  return ifr;
}

void set_ifaddr(int sock, const std::string& name, unsigned long request, in_addr a,
                const char* what) {
  ifreq ifr = make_ifreq(name);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr = a;
  static_assert(sizeof sin <= sizeof ifr.ifr_addr);
  std::memcpy(&ifr.ifr_addr, &sin, sizeof sin);
  if (ioctl(sock, request, &ifr) < 0) {
    fatal_errno(std::string(what) + " on " + name);
  }
}

// Creates the device (non-persistent: it goes when the fd closes), configures the kernel side and
// brings it up. Returns the fd, non-blocking.
int open_tun(const Options& o) {
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    fatal_errno("open /dev/net/tun");
  }
  ifreq ifr = make_ifreq(o.tun);
  ifr.ifr_flags = static_cast<short>(IFF_TUN | IFF_NO_PI);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    fatal_errno("TUNSETIFF " + o.tun);
  }
  const std::string name = ifr.ifr_name;

  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) {
    fatal_errno("socket");
  }
  set_ifaddr(sock, name, SIOCSIFADDR, o.host, "SIOCSIFADDR");
  in_addr mask{};
  mask.s_addr = mask_of(o.prefix);
  set_ifaddr(sock, name, SIOCSIFNETMASK, mask, "SIOCSIFNETMASK");

  ifr = make_ifreq(name);
  ifr.ifr_mtu = static_cast<int>(o.mtu);
  if (ioctl(sock, SIOCSIFMTU, &ifr) < 0) {
    fatal_errno("SIOCSIFMTU " + std::to_string(o.mtu) + " on " + name);
  }
  ifr = make_ifreq(name);
  ifr.ifr_qlen = 4096;
  if (ioctl(sock, SIOCSIFTXQLEN, &ifr) < 0) {
    fatal_errno("SIOCSIFTXQLEN on " + name);
  }
  // Best effort: no IPv6 chatter (router solicitations, MLD) on the device.
  const std::string v6 = "/proc/sys/net/ipv6/conf/" + name + "/disable_ipv6";
  if (int f = open(v6.c_str(), O_WRONLY | O_CLOEXEC); f >= 0) {
    if (write(f, "1", 1) != 1) {
      // Not fatal: lwIP drops what is not IPv4.
    }
    close(f);
  }
  ifr = make_ifreq(name);
  if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) {
    fatal_errno("SIOCGIFFLAGS on " + name);
  }
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
  if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0) {
    fatal_errno("SIOCSIFFLAGS (up) on " + name);
  }
  close(sock);
  return fd;
}

// --- lwIP's netif over the fd -------------------------------------------------------------------

struct Counters {
  std::atomic<std::uint64_t> rx_packets{0}, rx_dropped{0}, tx_packets{0}, tx_errors{0};
};

int g_tun_fd = -1;
unsigned g_mtu = 1500;
netif g_netif{};
Counters g_count;

// Called with the core lock held (one writer at a time), so one scratch buffer serves.
err_t tun_output(struct netif*, struct pbuf* p, const ip4_addr_t*) {
  ssize_t n;
  if (p->next == nullptr) {
    n = write(g_tun_fd, p->payload, p->len);
  } else {
    std::array<iovec, 32> iov{};
    std::size_t k = 0;
    for (pbuf* q = p; q != nullptr && k < iov.size(); q = q->next, ++k) {
      iov[k].iov_base = q->payload;
      iov[k].iov_len = q->len;
    }
    if (k == iov.size() && pbuf_clen(p) > iov.size()) {
      static std::array<std::uint8_t, 65536> flat;
      const u16_t len = pbuf_copy_partial(p, flat.data(), p->tot_len, 0);
      n = write(g_tun_fd, flat.data(), len);
    } else {
      n = writev(g_tun_fd, iov.data(), static_cast<int>(k));
    }
  }
  // A failed write is a datagram lost on the wire: TCP recovers. Not ERR_IF, which would make
  // tcp_output stop until a timer tries again.
  if (n < 0) {
    g_count.tx_errors.fetch_add(1, std::memory_order_relaxed);
  } else {
    g_count.tx_packets.fetch_add(1, std::memory_order_relaxed);
  }
  return ERR_OK;
}

err_t tun_output_ip6(struct netif*, struct pbuf*, const ip6_addr_t*) {
  return ERR_OK;  // IPv4 only: dropped (the caller frees the pbuf)
}

err_t tun_netif_init(struct netif* nif) {
  nif->name[0] = 't';
  nif->name[1] = 'u';
  nif->mtu = static_cast<u16_t>(g_mtu);
  nif->output = tun_output;
  nif->output_ip6 = tun_output_ip6;
  nif->flags = 0;  // no link layer: no ETHARP, no broadcast
  return ERR_OK;
}

// --- The services --------------------------------------------------------------------------------

// RFC 864's rotating lines (74 characters, CR LF); the buffer holds one period beyond the longest
// write so any offset into the period can be sent as one contiguous run.
constexpr std::size_t kLine = 74;
constexpr std::size_t kPeriod = 95 * kLine;
constexpr std::size_t kMaxWrite = 0xffff;
std::array<char, kPeriod + kMaxWrite> g_pattern;

void fill_pattern() {
  for (std::size_t i = 0; i < g_pattern.size(); ++i) {
    const std::size_t line = (i / kLine) % 95, col = i % kLine;
    g_pattern[i] = col == 72 ? '\r' : col == 73 ? '\n' : static_cast<char>(' ' + (line + col) % 95);
  }
}

struct Conn {
  bool source = false;
  bool closing = false;
  std::size_t offset = 0;   // into the pattern's period
  std::uint64_t bytes = 0;  // received (discard) or acknowledged by the peer (source)
  std::string peer;
};

// One line per connection when it ends, for tests to check byte counts (the lock is held, and
// connections are few: the cost is nothing next to a transfer).
void report(const Conn* c, const char* how) {
  std::printf("lwip-tun: %s %s: %llu bytes %s, %s\n", c->source ? "source" : "discard",
              c->peer.c_str(), static_cast<unsigned long long>(c->bytes),
              c->source ? "sent" : "received", how);
  std::fflush(stdout);
}

err_t on_recv(void* arg, tcp_pcb* pcb, pbuf* p, err_t err);
err_t on_sent(void* arg, tcp_pcb* pcb, u16_t len);
err_t on_poll(void* arg, tcp_pcb* pcb);
void on_err(void* arg, err_t err);

void set_callbacks(tcp_pcb* pcb, Conn* c) {
  tcp_arg(pcb, c);
  tcp_recv(pcb, c != nullptr && !c->closing ? on_recv : nullptr);
  tcp_sent(pcb, c != nullptr && !c->closing && c->source ? on_sent : nullptr);
  tcp_err(pcb, c != nullptr ? on_err : nullptr);
  tcp_poll(pcb, c != nullptr ? on_poll : nullptr, 2);
}

// Closes gracefully. lwIP may free the pcb inside tcp_close (and may report on it later through
// the error callback), so every callback is detached first; when lwIP has no memory for the FIN,
// they are put back (receiving no more) and the poll callback tries again.
void conn_close(tcp_pcb* pcb, Conn* c) {
  set_callbacks(pcb, nullptr);
  if (tcp_close(pcb) == ERR_OK) {
    report(c, "closed");
    delete c;
    return;
  }
  c->closing = true;
  set_callbacks(pcb, c);
}

// Fills the send buffer from the pattern; tcp_write copies (LWIP_NETIF_TX_SINGLE_PBUF forces it,
// with the checksum computed on the copy).
void source_fill(tcp_pcb* pcb, Conn* c) {
  bool wrote = false;
  for (;;) {
    std::size_t room = tcp_sndbuf(pcb);
    if (room == 0 || tcp_sndqueuelen(pcb) >= TCP_SND_QUEUELEN) {
      break;
    }
    auto len = static_cast<u16_t>(std::min(room, kMaxWrite));
    err_t err = tcp_write(pcb, g_pattern.data() + c->offset, len, TCP_WRITE_FLAG_COPY);
    if (err == ERR_MEM && len > tcp_mss(pcb)) {
      // Out of queue entries for a long write: a segment's worth may still fit.
      len = tcp_mss(pcb);
      err = tcp_write(pcb, g_pattern.data() + c->offset, len, TCP_WRITE_FLAG_COPY);
    }
    if (err != ERR_OK) {
      break;
    }
    c->offset = (c->offset + len) % kPeriod;
    wrote = true;
  }
  if (wrote) {
    tcp_output(pcb);  // a no-op inside tcp_input, which outputs when it is done
  }
}

err_t on_recv(void* arg, tcp_pcb* pcb, pbuf* p, err_t err) {
  auto* c = static_cast<Conn*>(arg);
  if (p == nullptr) {  // the peer's FIN
    if (c != nullptr) {
      conn_close(pcb, c);
    } else {
      tcp_close(pcb);
    }
    return ERR_OK;
  }
  if (err != ERR_OK) {
    pbuf_free(p);
    return ERR_OK;
  }
  tcp_recved(pcb, p->tot_len);  // everything read is dropped, and the window reopens
  if (c != nullptr && !c->source) {
    c->bytes += p->tot_len;
  }
  pbuf_free(p);
  return ERR_OK;
}

err_t on_sent(void* arg, tcp_pcb* pcb, u16_t len) {
  auto* c = static_cast<Conn*>(arg);
  if (c != nullptr && c->source && !c->closing) {
    c->bytes += len;
    source_fill(pcb, c);
  }
  return ERR_OK;
}

err_t on_poll(void* arg, tcp_pcb* pcb) {
  auto* c = static_cast<Conn*>(arg);
  if (c == nullptr) {
    return ERR_OK;
  }
  if (c->closing) {
    conn_close(pcb, c);
  } else if (c->source) {
    source_fill(pcb, c);
  }
  return ERR_OK;
}

void on_err(void* arg, err_t err) {  // the pcb is already gone
  auto* c = static_cast<Conn*>(arg);
  if (c != nullptr) {
    report(c, err == ERR_RST ? "reset by the peer" : err == ERR_ABRT ? "aborted" : "failed");
    delete c;
  }
}

err_t on_accept(void* arg, tcp_pcb* pcb, err_t err) {
  if (err != ERR_OK || pcb == nullptr) {
    return ERR_VAL;
  }
  auto* c = new Conn;
  c->source = arg != nullptr;
  char ip[IP4ADDR_STRLEN_MAX];
  ip4addr_ntoa_r(ip_2_ip4(&pcb->remote_ip), ip, sizeof ip);
  c->peer = std::string(ip) + ":" + std::to_string(pcb->remote_port);
  set_callbacks(pcb, c);
  if (c->source) {
    source_fill(pcb, c);
  }
  return ERR_OK;
}

void listen_on(u16_t port, bool source) {
  tcp_pcb* pcb = tcp_new();
  if (pcb == nullptr) {
    fatal("tcp_new failed");
  }
  if (err_t e = tcp_bind(pcb, IP4_ADDR_ANY, port); e != ERR_OK) {
    fatal("tcp_bind port " + std::to_string(port) + ": " + lwip_strerr(e));
  }
  tcp_pcb* l = tcp_listen_with_backlog(pcb, 16);
  if (l == nullptr) {
    fatal("tcp_listen port " + std::to_string(port) + " failed");
  }
  // The listener's arg tells the connections it accepts what they serve.
  tcp_arg(l, source ? static_cast<void*>(&g_pattern) : nullptr);
  tcp_accept(l, on_accept);
}

// --- Setup in the tcpip thread, and the reader --------------------------------------------------

struct InitArgs {
  const Options* opts;
  std::promise<void> done;
};

void tcpip_ready(void* arg) {  // runs in the tcpip thread, with the core lock held
  auto* a = static_cast<InitArgs*>(arg);
  const Options& o = *a->opts;
  ip4_addr_t ip, mask, gw;
  ip.addr = o.addr.s_addr;
  mask.addr = mask_of(o.prefix);
  gw.addr = o.host.s_addr;
  netif_input_fn input = o.input == InputMode::lock ? ip4_input : tcpip_input;
  if (netif_add(&g_netif, &ip, &mask, &gw, nullptr, tun_netif_init, input) == nullptr) {
    fatal("netif_add failed");
  }
  netif_set_default(&g_netif);
  netif_set_up(&g_netif);
  netif_set_link_up(&g_netif);
  listen_on(kDiscardPort, false);
  listen_on(kSourcePort, true);
  a->done.set_value();
}

// Reads one datagram into a fresh heap pbuf; nullptr when there is none (EAGAIN).
pbuf* read_datagram() {
  for (;;) {
    // PBUF_LINK leaves head room in front, which lets an ICMP echo reply reuse the pbuf.
    pbuf* p = pbuf_alloc(PBUF_LINK, static_cast<u16_t>(g_mtu), PBUF_RAM);
    if (p == nullptr) {
      fatal("pbuf_alloc failed");
    }
    ssize_t n = read(g_tun_fd, p->payload, g_mtu);
    if (n > 0) {
      pbuf_realloc(p, static_cast<u16_t>(n));
      return p;
    }
    pbuf_free(p);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && errno != EAGAIN) {
      fatal_errno("read from the TUN device");
    }
    return nullptr;
  }
}

bool is_ipv4(const pbuf* p) {
  return p->len >= 20 && (static_cast<const std::uint8_t*>(p->payload)[0] >> 4) == 4;
}

void reader(InputMode mode, int stop_fd) {
  std::array<pollfd, 2> fds{};
  fds[0].fd = g_tun_fd;
  fds[0].events = POLLIN;
  fds[1].fd = stop_fd;
  fds[1].events = POLLIN;
  for (;;) {
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      fatal_errno("poll");
    }
    if (fds[1].revents != 0) {
      return;
    }
    if ((fds[0].revents & (POLLERR | POLLHUP | POLLNVAL)) != 0) {
      fatal("the TUN device went away");
    }
    bool more = true;
    while (more) {  // until EAGAIN, letting go of the lock every kBatch datagrams
      if (mode == InputMode::lock) {
        LOCK_TCPIP_CORE();
      }
      int i = 0;
      for (; i < kBatch; ++i) {
        pbuf* p = read_datagram();
        if (p == nullptr) {
          more = false;
          break;
        }
        g_count.rx_packets.fetch_add(1, std::memory_order_relaxed);
        if (!is_ipv4(p) || g_netif.input(p, &g_netif) != ERR_OK) {
          g_count.rx_dropped.fetch_add(1, std::memory_order_relaxed);
          pbuf_free(p);
        }
      }
      if (mode == InputMode::lock) {
        UNLOCK_TCPIP_CORE();
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Options opts = parse_args(argc, argv);
  g_mtu = opts.mtu;
  fill_pattern();

  // Every thread (lwIP's included) inherits this mask; the main thread takes the signals.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  signal(SIGPIPE, SIG_IGN);

  g_tun_fd = open_tun(opts);
  int stop_fd = eventfd(0, EFD_CLOEXEC);
  if (stop_fd < 0) {
    fatal_errno("eventfd");
  }

  InitArgs init{&opts, {}};
  auto ready = init.done.get_future();
  tcpip_init(tcpip_ready, &init);
  ready.wait();

  std::thread rx(reader, opts.input, stop_fd);

  char addr[INET_ADDRSTRLEN], host[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &opts.addr, addr, sizeof addr);
  inet_ntop(AF_INET, &opts.host, host, sizeof host);
  std::printf(
      "lwip-tun: lwIP %s on %s: %s (host %s/%u), MTU %u, TCP_MSS %d, TCP_WND %d, "
      "TCP_SND_BUF %d, input %s; discard on %u, source on %u; Ctrl-C stops\n",
      LWIP_VERSION_STRING, opts.tun.c_str(), addr, host, opts.prefix, opts.mtu, TCP_MSS,
      static_cast<int>(TCP_WND), static_cast<int>(TCP_SND_BUF),
      opts.input == InputMode::lock ? "lock" : "mbox", kDiscardPort, kSourcePort);
  std::fflush(stdout);

  int sig = 0;
  while (sigwait(&sigs, &sig) != 0) {
  }
  const std::uint64_t one = 1;
  if (write(stop_fd, &one, sizeof one) != sizeof one) {
    fatal_errno("eventfd write");
  }
  rx.join();

  // Take the core lock for good: lwIP runs no more (its thread blocks on the lock), and the
  // process ends with the device, which goes when the fd closes.
  LOCK_TCPIP_CORE();
  std::printf("lwip-tun: stopped by %s: %llu datagrams in (%llu dropped), %llu out (%llu lost)\n",
              sig == SIGINT ? "SIGINT" : "SIGTERM",
              static_cast<unsigned long long>(g_count.rx_packets.load()),
              static_cast<unsigned long long>(g_count.rx_dropped.load()),
              static_cast<unsigned long long>(g_count.tx_packets.load()),
              static_cast<unsigned long long>(g_count.tx_errors.load()));
  std::fflush(stdout);
  close(g_tun_fd);
  std::_Exit(0);
}
