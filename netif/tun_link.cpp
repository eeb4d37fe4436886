// TunLink: attaching to or creating the TUN device, setting up its kernel side with ioctls, and
// moving datagrams with non-blocking read()/write(), holding back output while the device is busy.
#include "netif/tun_link.hpp"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "netif/unique_fd.hpp"

namespace tundra::netif {
namespace {

// IPv4 needs at least 68 bytes end to end (RFC 791 3.2); the total-length field caps it at 65535.
constexpr size_t kMinMtu = 68;
constexpr size_t kMaxMtu = 65535;
// How long a transmit() that finds the pending queue full waits for the device to drain: long
// enough to ride out a burst, short enough that the loop thread is not held up noticeably.
constexpr int kFullQueueWaitMs = 50;
constexpr int kPollRetriesOnSignal = 3;
// With offloads, the largest datagram either way: what the IPv4 total length can say.
constexpr size_t kOffloadMax = 65535;

// The virtio-net header (virtio 1.x spec 5.1.6, "struct virtio_net_hdr" without num_buffers) in
// the host's byte order, as a TUN device without TUNSETVNETLE/BE uses it. <linux/virtio_net.h>
// declares it too, but does not compile as C++ (a field named `class`).
struct VnetHeader {
  uint8_t flags;
  uint8_t gso_type;
  uint16_t hdr_len;      // bytes of IP and TCP headers: what each cut segment repeats
  uint16_t gso_size;     // payload bytes per cut segment
  uint16_t csum_start;   // where the checksummed part starts (the transport header)
  uint16_t csum_offset;  // where, past csum_start, the checksum goes
};
static_assert(sizeof(VnetHeader) == 10);
constexpr uint8_t kVnetNeedsCsum = 1, kVnetDataValid = 2;  // flags
constexpr uint8_t kVnetGsoTcpV4 = 1;                       // gso_type
constexpr size_t kVnetHeaderLen = sizeof(VnetHeader);

std::string message(int err) {
  return std::system_category().message(err);
}

// The tail of a rate-limited warning: how many like it were held back, if any.
std::string held_back(uint64_t n) {
  return n == 0 ? "" : fmt::format(" ({} similar messages held back)", n);
}

[[noreturn]] void fail(const std::string& name, std::string_view reason) {
  throw std::runtime_error(fmt::format("{}: {}", name, reason));
}

ifreq request_for(const std::string& name) {
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name.data(), std::min(name.size(), sizeof ifr.ifr_name - 1));
  return ifr;
}

// Interface settings are read and changed through ioctls on any AF_INET socket. Each call returns
// 0 or the errno of the failure, so the caller decides what is fatal.
class DeviceControl {
 public:
  explicit DeviceControl(std::string name)
      : name_(std::move(name)), sock_(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    if (sock_.get() < 0) fail(name_, "cannot open a control socket: " + message(errno));
  }

  size_t mtu() const {
    ifreq ifr = request_for(name_);
    if (const int err = call(SIOCGIFMTU, ifr)) fail(name_, "cannot read the MTU: " + message(err));
    return static_cast<size_t>(ifr.ifr_mtu);
  }
  int set_mtu(size_t mtu) const {
    ifreq ifr = request_for(name_);
    ifr.ifr_mtu = static_cast<int>(mtu);
    return call(SIOCSIFMTU, ifr);
  }
  int set_tx_queue_len(size_t len) const {
    ifreq ifr = request_for(name_);
    ifr.ifr_qlen = static_cast<int>(len);
    return call(SIOCSIFTXQLEN, ifr);
  }
  short flags() const {
    ifreq ifr = request_for(name_);
    if (const int err = call(SIOCGIFFLAGS, ifr)) fail(name_, "cannot read flags: " + message(err));
    return ifr.ifr_flags;
  }
  int set_flags(short flags) const {
    ifreq ifr = request_for(name_);
    ifr.ifr_flags = flags;
    return call(SIOCSIFFLAGS, ifr);
  }
  // SIOCSIFADDR or SIOCSIFNETMASK.
  int set_ipv4(unsigned long request, wire::ipv4::Address a) const {
    ifreq ifr = request_for(name_);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(a.value());
    static_assert(sizeof sin <= sizeof ifr.ifr_addr);
    std::memcpy(&ifr.ifr_addr, &sin, sizeof sin);
    return call(request, ifr);
  }

 private:
  int call(unsigned long request, ifreq& ifr) const {
    return ::ioctl(sock_.get(), request, &ifr) < 0 ? errno : 0;
  }

  std::string name_;
  UniqueFd sock_;
};

void validate(const TunConfig& config) {
  const std::string& name = config.name;
  if (name.empty()) throw std::runtime_error("tun: the device name is empty");
  if (name.size() >= IFNAMSIZ)
    fail(name, fmt::format("the device name is too long (at most {} characters)", IFNAMSIZ - 1));
  if (config.mtu && (*config.mtu < kMinMtu || *config.mtu > kMaxMtu))
    fail(name, fmt::format("MTU {} is out of range ({}..{})", *config.mtu, kMinMtu, kMaxMtu));
  if (config.host_addr && config.host_addr->prefix_len > 32)
    fail(name, fmt::format("host address prefix /{} is longer than 32 bits",
                           config.host_addr->prefix_len));
  if (config.max_pending == 0) fail(name, "max_pending must be at least 1");
}

std::string open_error(const std::string& name, int err) {
  if (err == EACCES || err == EPERM)
    return fmt::format(
        "permission denied opening /dev/net/tun (run as root or create the device with "
        "`ip tuntap add dev {} mode tun user $USER`)",
        name);
  if (err == ENOENT || err == ENODEV || err == ENXIO)
    return "/dev/net/tun is missing (load the tun module: `modprobe tun`)";
  return "cannot open /dev/net/tun: " + message(err);
}

std::string attach_error(const std::string& name, bool existed, int err) {
  if (existed) {
    if (err == EPERM || err == EACCES)
      return fmt::format(
          "permission denied attaching to the existing device (it belongs to another user: "
          "recreate it with `ip tuntap add dev {} mode tun user $USER`, or run as root)",
          name);
    if (err == EBUSY) return "the device is busy (another process has it open)";
    if (err == EINVAL) return "the existing device is not a single-queue TUN device";
    return "cannot attach to the existing device: " + message(err);
  }
  if (err == EPERM || err == EACCES)
    return fmt::format(
        "permission denied creating the device (needs CAP_NET_ADMIN: run as root, or have root "
        "create it with `ip tuntap add dev {} mode tun user $USER`)",
        name);
  return "cannot create the device: " + message(err);
}

struct Mtus {
  size_t send;    // largest datagram we write
  size_t device;  // largest datagram the kernel may hand us
};

// A device we made is ours to set up: its MTU, the kernel side's address, and up.
Mtus set_up_created(const std::string& name, const DeviceControl& ctl, const TunConfig& config) {
  if (config.mtu) {
    if (const int err = ctl.set_mtu(*config.mtu))
      fail(name, fmt::format("cannot set the MTU to {}: {}", *config.mtu, message(err)));
  }
  if (const auto& host = config.host_addr) {
    // SIOCSIFADDR first: it installs a classful mask, which SIOCSIFNETMASK then replaces.
    if (const int err = ctl.set_ipv4(SIOCSIFADDR, host->address))
      fail(name, fmt::format("cannot set address {}: {}", host->to_string(), message(err)));
    if (const int err = ctl.set_ipv4(SIOCSIFNETMASK, wire::ipv4::Address(host->netmask())))
      fail(name, fmt::format("cannot set netmask /{}: {}", host->prefix_len, message(err)));
  }
  // tundra speaks no IPv6: keep the kernel side from sending router solicitations and MLD
  // reports into the device (they would only be counted as "bad version"). Best effort: a kernel
  // without IPv6 has no such file.
  if (std::FILE* f =
          std::fopen(fmt::format("/proc/sys/net/ipv6/conf/{}/disable_ipv6", name).c_str(), "w")) {
    std::fputs("1", f);
    std::fclose(f);
  }
  // The kernel queues datagrams for us in the device's transmit queue and drops them (unseen by
  // tundra or its captures) when it is full; 500 by default is short for a user-space reader that
  // also has work to do, so make it longer. Best effort.
  if (const int err = ctl.set_tx_queue_len(config.tx_queue_len))
    spdlog::warn("{}: cannot set the transmit queue length to {}: {}", name, config.tx_queue_len,
                 message(err));
  // Up even without an address: a down TUN device fails every write with EIO.
  if (const int err = ctl.set_flags(static_cast<short>(ctl.flags() | IFF_UP)))
    fail(name, "cannot bring the device up: " + message(err));
  const size_t mtu = ctl.mtu();  // read back: the kernel has the last word
  return {mtu, mtu};
}

// A device someone else made keeps its addresses; we only ask for what we need and, when not
// allowed (a non-root owner has no CAP_NET_ADMIN), make do.
Mtus adapt_to_existing(const std::string& name, const DeviceControl& ctl, const TunConfig& config) {
  const size_t device_mtu = ctl.mtu();
  Mtus mtus{device_mtu, device_mtu};
  if (config.mtu && *config.mtu != mtus.device) {
    if (const int err = ctl.set_mtu(*config.mtu); err == 0) {
      mtus.send = mtus.device = *config.mtu;
    } else {
      mtus.send = std::min(*config.mtu, mtus.device);
      spdlog::warn("{}: cannot change the device MTU from {} to {} ({}); sending at most {} bytes",
                   name, mtus.device, *config.mtu, message(err), mtus.send);
    }
  }
  if (config.host_addr)
    spdlog::debug("{}: existing device, host address {} not applied", name,
                  config.host_addr->to_string());
  if (const short flags = ctl.flags(); !(flags & IFF_UP)) {
    if (const int err = ctl.set_flags(static_cast<short>(flags | IFF_UP)))
      spdlog::warn(
          "{}: the device is down and we may not bring it up ({}); run `ip link set {} up`", name,
          message(err), name);
  }
  return mtus;
}

}  // namespace

std::unique_ptr<TunLink> TunLink::open(const TunConfig& config) {
  validate(config);
  const std::string& requested = config.name;
  // TUNSETIFF attaches to the device if it exists (no privileges needed when we own it) and
  // creates it otherwise (CAP_NET_ADMIN); knowing which it tried lets a refusal say why.
  const bool existed = ::if_nametoindex(requested.c_str()) != 0;

  UniqueFd fd(::open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0) fail(requested, open_error(requested, errno));

  ifreq ifr = request_for(requested);
  ifr.ifr_flags = static_cast<short>(IFF_TUN | IFF_NO_PI | (config.offload ? IFF_VNET_HDR : 0));
  if (::ioctl(fd.get(), TUNSETIFF, &ifr) < 0)
    fail(requested, attach_error(requested, existed, errno));
  // The kernel writes back the name it used (it expands a template such as "tun%d").
  std::string name(ifr.ifr_name, ::strnlen(ifr.ifr_name, IFNAMSIZ));
  if (config.offload) {
    // The header is the plain virtio-net one; the device may then give us TCP/IPv4 segments it
    // has not cut or checksummed, and takes ours the same way.
    int hdr_len = static_cast<int>(kVnetHeaderLen);
    if (::ioctl(fd.get(), TUNSETVNETHDRSZ, &hdr_len) < 0)
      fail(name, "cannot set the virtio-net header size: " + message(errno));
    if (::ioctl(fd.get(), TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4) < 0)
      fail(name, "cannot turn on checksum and TSO offloads: " + message(errno));
  }

  // A device made without TUNSETPERSIST lives only as long as our descriptor, which is what lets
  // us leave nothing behind. Ask the kernel rather than trust `existed`: the device may have come
  // or gone between if_nametoindex and TUNSETIFF. A single-queue device that someone else holds
  // open refuses us (EBUSY), so a non-persistent one we got is one we made.
  ifreq got{};
  if (::ioctl(fd.get(), TUNGETIFF, &got) < 0)
    fail(name, "cannot read the device flags: " + message(errno));
  const bool created = !(got.ifr_flags & IFF_PERSIST);

  const DeviceControl ctl(name);
  const Mtus mtus =
      created ? set_up_created(name, ctl, config) : adapt_to_existing(name, ctl, config);
  spdlog::debug("{}: {} device, MTU {}{}", name, created ? "created" : "attached to", mtus.send,
                created && config.host_addr ? ", host " + config.host_addr->to_string() : "");
  // One byte more than the largest datagram the device sends, so a read that fills the buffer
  // shows a datagram was cut short.
  const size_t largest =
      config.offload ? kVnetHeaderLen + kOffloadMax : std::max(mtus.send, mtus.device);
  return std::unique_ptr<TunLink>(new TunLink(std::move(fd), std::move(name), mtus.send,
                                              largest + 1, created, config.max_pending,
                                              config.offload, config.tx_thread));
}

std::unique_ptr<TunLink> TunLink::adopt(int raw_fd, const TunConfig& config) {
  UniqueFd fd(raw_fd);
  validate(config);
  const int fl = ::fcntl(fd.get(), F_GETFL);
  if (fl < 0 || ::fcntl(fd.get(), F_SETFL, fl | O_NONBLOCK) < 0)
    fail(config.name, "cannot make the descriptor non-blocking: " + message(errno));
  const size_t mtu = config.mtu ? *config.mtu : DeviceControl(config.name).mtu();
  return std::unique_ptr<TunLink>(new TunLink(std::move(fd), config.name, mtu, mtu + 1, false,
                                              config.max_pending, false, config.tx_thread));
}

TunLink::TunLink(UniqueFd fd, std::string name, size_t mtu, size_t rx_capacity, bool created,
                 size_t max_pending, bool offload, bool tx_thread)
    : fd_(std::move(fd)),
      name_(std::move(name)),
      mtu_(mtu),
      rx_capacity_(rx_capacity),
      created_(created),
      max_pending_(max_pending),
      offload_(offload) {
  if (!tx_thread) return;
  TxThread::Config tc;
  tc.fd = fd_.get();
  tc.max_queue = max_pending_;
  tc.busy_wait = std::chrono::milliseconds(kFullQueueWaitMs);
  outbox_.reserve(kOutboxMax);
  tx_thread_ = std::make_unique<TxThread>(
      tc, [this](const PacketBuffer& p) { return write_datagram(p); },
      [this](int err, size_t size) {
        std::lock_guard l(fail_mu_);
        const Instant now = SteadyClock().now();
        if (!fail_log_.allow(now)) return;
        const std::string why =
            err == ENOBUFS || err == EAGAIN ? "the device stayed busy and the queue is full"
            : err == EIO ? "write failed: " + message(err) + " (is the device up?)"
                         : "write failed: " + message(err);
        spdlog::warn("{}: dropped a {}-byte datagram: {}{}", name_, size, why,
                     held_back(fail_log_.take_suppressed()));
      });
}

LinkCaps TunLink::caps() const {
  LinkCaps c{mtu_};
  if (offload_) {
    c.checksum_offload = true;
    c.tso_max = kOffloadMax;
  }
  return c;
}

TunLink::~TunLink() {
  flush_outbox();  // the TxThread writes what it holds before it stops
  if (!pending_.empty())
    spdlog::debug("{}: closing with {} datagrams unsent", name_, pending_.size());
}

void TunLink::prefetch() {
  // Up to a batch; stops at EAGAIN and at any error, which receive()'s own read then reports.
  while (prefetch_count_ < kPrefetchMax) {
    PacketBuffer buf = PacketBuffer::with_capacity(rx_capacity_, PacketBuffer::kHeadroom);
    const ssize_t n = ::read(fd_.get(), buf.data(), buf.tailroom());
    if (n <= 0) return;
    buf.append(static_cast<size_t>(n));
    prefetched_[(prefetch_head_ + prefetch_count_) % kPrefetchMax] = std::move(buf);
    ++prefetch_count_;
  }
}

std::optional<PacketBuffer> TunLink::receive(Instant now) {
  if (prefetch_count_ > 0) {
    PacketBuffer raw = std::move(prefetched_[prefetch_head_]);
    prefetch_head_ = (prefetch_head_ + 1) % kPrefetchMax;
    --prefetch_count_;
    return accept(std::move(raw), now);
  }
  // Header room in front, so layers above can turn the datagram around in place.
  PacketBuffer buf = PacketBuffer::with_capacity(rx_capacity_, PacketBuffer::kHeadroom);
  const size_t room = buf.tailroom();
  ssize_t n;
  do {
    n = ::read(fd_.get(), buf.data(), room);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    const int err = errno;
    if (err == EAGAIN) return std::nullopt;
    ++stats_.rx_errors;
    if (rx_log_.allow(now))
      spdlog::warn("{}: read failed: {}{}", name_, message(err),
                   held_back(rx_log_.take_suppressed()));
    return std::nullopt;
  }
  if (n == 0) return std::nullopt;
  buf.append(static_cast<size_t>(n));
  return accept(std::move(buf), now);
}

std::optional<PacketBuffer> TunLink::accept(PacketBuffer buf, Instant now) {
  const size_t n = buf.size();
  // The read buffer is one byte longer than any datagram the device should send: a full one
  // was cut short.
  if (buf.tailroom() == 0) {
    ++stats_.rx_errors;
    if (rx_log_.allow(now))
      spdlog::warn("{}: dropped a datagram larger than {} bytes (was the device MTU raised?){}",
                   name_, n - 1, held_back(rx_log_.take_suppressed()));
    return std::nullopt;
  }
  if (offload_) {
    if (buf.size() < kVnetHeaderLen) {
      ++stats_.rx_errors;
      return std::nullopt;
    }
    VnetHeader h;
    std::memcpy(&h, buf.data(), sizeof h);
    buf.trim_front(kVnetHeaderLen);
    // The kernel's own segments: a checksum it left partial (it would finish it on a real
    // device) or one it already checked is as good as verified.
    if (h.flags & (kVnetNeedsCsum | kVnetDataValid)) buf.offload().checksum_unnecessary = true;
  }
  ++stats_.rx_packets;
  stats_.rx_bytes += static_cast<uint64_t>(n);
  return buf;
}

void TunLink::transmit(PacketBuffer packet, Instant now) {
  const size_t most = offload_ && packet.offload().gso_size > 0 ? kOffloadMax : mtu_;
  if (packet.empty() || packet.size() > most) {
    drop_on_output(fmt::format("outside 1..{} bytes (the MTU)", most), packet.size(), now);
    return;
  }
  if (tx_thread_) {
    // Collected until the round ends (poll), so the TxThread sees the round's whole batch.
    outbox_.push_back(std::move(packet));
    if (outbox_.size() >= kOutboxMax) flush_outbox();
    return;
  }
  // Older datagrams go first; only when none wait may this one skip the queue.
  if (!pending_.empty()) flush_pending(now);
  if (pending_.empty() && write_one(packet, now) != WriteResult::WouldBlock) return;
  // The device is busy. Dropping here, as some user-space stacks do, turns a momentary stall into
  // retransmissions and collapsed windows; hold the datagram until poll() finds room.
  if (pending_.size() >= max_pending_ && !wait_for_room(now)) {
    drop_on_output("the device stayed busy and the pending queue is full", packet.size(), now);
    return;
  }
  pending_.push_back(std::move(packet));
}

void TunLink::poll(Instant now) {
  flush_outbox();
  flush_pending(now);
}

void TunLink::flush_outbox() {
  if (tx_thread_) tx_thread_->send(outbox_);
}

const LinkStats& TunLink::stats() const {
  stats_view_ = stats_;
  if (tx_thread_) {
    const TxThread::Stats t = tx_thread_->stats();
    stats_view_.tx_packets += t.packets;
    stats_view_.tx_bytes += t.bytes;
    stats_view_.tx_dropped += t.dropped;
  }
  return stats_view_;
}

void TunLink::report(CounterReport& out) const {
  report_link_stats("link " + describe(), stats(), out);
  out.back().add("datagrams waiting for the device", pending());
  if (tx_thread_) {
    const TxThread::Stats t = tx_thread_->stats();
    out.back().add("batches written by the sending thread", t.inline_batches);
    out.back().add("batches handed to the writer thread", t.handed_over);
    out.back().add("average write time, ns",
                   static_cast<uint64_t>(tx_thread_->write_cost().count()));
  }
  // What the kernel dropped on its way to us (its transmit queue into the device was full): lost
  // before tundra could see or capture it.
  if (std::FILE* f =
          std::fopen(fmt::format("/sys/class/net/{}/statistics/tx_dropped", name_).c_str(), "r")) {
    unsigned long long dropped = 0;
    if (std::fscanf(f, "%llu", &dropped) == 1)
      out.back().add("datagrams the kernel dropped before tundra read them", dropped);
    std::fclose(f);
  }
}

namespace {

// The virtio-net header that tells the device what to finish: the transport checksum from the
// end of the IPv4 header, and the cutting of a TSO segment.
VnetHeader vnet_header_for(const PacketBuffer& packet) {
  VnetHeader h{};
  const Offload& o = packet.offload();
  if (packet.size() < 20) return h;
  const auto* p = reinterpret_cast<const uint8_t*>(packet.data());
  const auto ip_len = static_cast<uint16_t>((p[0] & 0x0f) * 4);
  if (o.checksum_partial) {
    h.flags = kVnetNeedsCsum;
    h.csum_start = ip_len;
    h.csum_offset = o.checksum_offset;
  }
  if (o.gso_size > 0 && packet.size() >= ip_len + 20u) {
    h.gso_type = kVnetGsoTcpV4;
    h.gso_size = o.gso_size;
    h.hdr_len = static_cast<uint16_t>(ip_len + (p[ip_len + 12] >> 4) * 4);
  }
  return h;
}

}  // namespace

int TunLink::write_datagram(const PacketBuffer& packet) const {
  ssize_t n;
  if (offload_) {
    VnetHeader h = vnet_header_for(packet);
    iovec iov[2] = {{&h, sizeof h}, {const_cast<std::byte*>(packet.data()), packet.size()}};
    do {
      n = ::writev(fd_.get(), iov, 2);
    } while (n < 0 && errno == EINTR);
  } else {
    do {
      n = ::write(fd_.get(), packet.data(), packet.size());
    } while (n < 0 && errno == EINTR);
  }
  // A TUN device (like any datagram descriptor) takes the whole datagram or none of it.
  return n >= 0 ? 0 : errno;
}

TunLink::WriteResult TunLink::write_one(const PacketBuffer& packet, Instant now) {
  const int err = write_datagram(packet);
  if (err == 0) {
    ++stats_.tx_packets;
    stats_.tx_bytes += packet.size();
    return WriteResult::Sent;
  }
  // ENOBUFS is the kernel running short for a moment, not a fault of the datagram: retry later.
  if (err == EAGAIN || err == ENOBUFS) return WriteResult::WouldBlock;
  drop_on_output(err == EIO ? "write failed: " + message(err) + " (is the device up?)"
                            : "write failed: " + message(err),
                 packet.size(), now);
  return WriteResult::Failed;
}

void TunLink::flush_pending(Instant now) {
  while (!pending_.empty()) {
    if (write_one(pending_.front(), now) == WriteResult::WouldBlock) return;
    pending_.pop_front();  // sent, or failed for good and counted
  }
}

bool TunLink::wait_for_room(Instant now) {
  pollfd p{fd_.get(), POLLOUT, 0};
  int ready;
  int tries = kPollRetriesOnSignal;
  do {
    ready = ::poll(&p, 1, kFullQueueWaitMs);
  } while (ready < 0 && errno == EINTR && --tries > 0);
  if (ready > 0) flush_pending(now);
  return pending_.size() < max_pending_;
}

void TunLink::drop_on_output(std::string_view why, size_t size, Instant now) {
  ++stats_.tx_dropped;
  if (tx_log_.allow(now))
    spdlog::warn("{}: dropped a {}-byte datagram: {}{}", name_, size, why,
                 held_back(tx_log_.take_suppressed()));
}

}  // namespace tundra::netif
