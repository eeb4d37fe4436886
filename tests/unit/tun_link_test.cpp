// TunLink tests. Against the real kernel (root only): each test runs in a forked child inside fresh
// network and mount namespaces, so devices, addresses and the /dev/net/tun node it uses never touch
// the host. The output queue and read paths are also driven through a socketpair, without root.
#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "netif/tun_link.hpp"
#include "netif/unique_fd.hpp"
#include "stack/wire/checksum.hpp"
#include "stack/wire/field.hpp"
#include "stack/wire/ipv4.hpp"

namespace tundra::netif {
namespace {

using wire::ipv4::Address;
using wire::ipv4::Cidr;

constexpr const char* kDev = "tdr0";
const Address kHost(10, 77, 0, 1);  // the kernel's side of the device
const Address kPeer(10, 77, 0, 2);  // ours
const Cidr kHostCidr{kHost, 24};
constexpr uid_t kNobody = 65534;
constexpr unsigned kChildTimeoutSeconds = 20;
constexpr uint8_t kUdp = 17;
constexpr size_t kUdpHeaderLen = 8;

std::string errno_text() {
  return std::strerror(errno);
}

// Runs `body` in a forked child. Its gtest failures print there; its exit status carries the
// verdict back. A watchdog alarm ends a child that hangs, and the parent reports it.
void expect_child_passes(const std::function<void()>& body) {
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0) << "fork: " << errno_text();
  if (pid == 0) {
    ::alarm(kChildTimeoutSeconds);
    try {
      body();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "exception: " << e.what();
    } catch (...) {
      ADD_FAILURE() << "unknown exception";
    }
    std::fflush(nullptr);
    ::_exit(testing::Test::HasFailure() ? 1 : 0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid) << "waitpid: " << errno_text();
  if (WIFSIGNALED(status)) {
    ADD_FAILURE() << "child killed by signal " << WTERMSIG(status)
                  << (WTERMSIG(status) == SIGALRM ? " (watchdog: it hung)" : "");
  } else {
    EXPECT_EQ(WEXITSTATUS(status), 0) << "child reported failures (see above)";
  }
}

// Runs `body` in a child process with its own, empty network namespace (and a private mount
// namespace, so a test may put its own device node on /dev/net).
void in_netns(const std::function<void()>& body) {
  expect_child_passes([&] {
    ASSERT_EQ(::unshare(CLONE_NEWNET | CLONE_NEWNS), 0) << "unshare: " << errno_text();
    ASSERT_EQ(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), 0)
        << "make mounts private: " << errno_text();
    body();
  });
}

// Runs `body` in a child process with nobody's uid and gid and no capabilities.
void as_nobody(const std::function<void()>& body) {
  expect_child_passes([&] {
    ASSERT_EQ(::setgroups(0, nullptr), 0) << errno_text();
    ASSERT_EQ(::setresgid(kNobody, kNobody, kNobody), 0) << errno_text();
    ASSERT_EQ(::setresuid(kNobody, kNobody, kNobody), 0) << errno_text();
    body();
  });
}

// A /dev/net/tun that anyone may open, inside this mount namespace only: Debian's node is 0600,
// and a non-root owner of a persistent device must at least be able to open it.
void private_tun_node() {
  ASSERT_EQ(::mount("tmpfs", "/dev/net", "tmpfs", 0, "mode=0755"), 0) << errno_text();
  ASSERT_EQ(::mknod("/dev/net/tun", S_IFCHR | 0666, ::makedev(10, 200)), 0) << errno_text();
  ASSERT_EQ(::chmod("/dev/net/tun", 0666), 0) << errno_text();  // past the umask
}

// Opens /dev/net/tun attached to device `name`, as `ip tuntap` does.
UniqueFd attach_raw(const std::string& name) {
  UniqueFd fd(::open("/dev/net/tun", O_RDWR | O_CLOEXEC));
  EXPECT_TRUE(fd.valid()) << errno_text();
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  EXPECT_EQ(::ioctl(fd.get(), TUNSETIFF, &ifr), 0) << name << ": " << errno_text();
  return fd;
}

// `ip tuntap add dev NAME mode tun [user U]`.
void make_persistent(const std::string& name, std::optional<uid_t> owner) {
  UniqueFd fd = attach_raw(name);
  if (owner) {
    EXPECT_EQ(::ioctl(fd.get(), TUNSETOWNER, static_cast<unsigned long>(*owner)), 0);
  }
  EXPECT_EQ(::ioctl(fd.get(), TUNSETPERSIST, 1UL), 0) << errno_text();
}

// `ip tuntap del dev NAME mode tun`.
void remove_persistent(const std::string& name) {
  UniqueFd fd = attach_raw(name);
  EXPECT_EQ(::ioctl(fd.get(), TUNSETPERSIST, 0UL), 0) << errno_text();
}

bool device_exists(const std::string& name) {
  return ::if_nametoindex(name.c_str()) != 0;
}

// What the kernel says about a device, asked independently of TunLink.
struct KernelView {
  bool up = false;
  size_t mtu = 0;
  Address addr, mask;
};

Address ioctl_address(int sock, unsigned long request, const std::string& name) {
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  EXPECT_EQ(::ioctl(sock, request, &ifr), 0) << name << ": " << errno_text();
  sockaddr_in sin{};
  std::memcpy(&sin, &ifr.ifr_addr, sizeof sin);
  return Address(ntohl(sin.sin_addr.s_addr));
}

KernelView kernel_view(const std::string& name, bool with_address) {
  UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  KernelView v;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  EXPECT_EQ(::ioctl(sock.get(), SIOCGIFFLAGS, &ifr), 0) << errno_text();
  v.up = (ifr.ifr_flags & IFF_UP) != 0;
  EXPECT_EQ(::ioctl(sock.get(), SIOCGIFMTU, &ifr), 0) << errno_text();
  v.mtu = static_cast<size_t>(ifr.ifr_mtu);
  if (with_address) {
    v.addr = ioctl_address(sock.get(), SIOCGIFADDR, name);
    v.mask = ioctl_address(sock.get(), SIOCGIFNETMASK, name);
  }
  return v;
}

sockaddr_in socket_address(Address a, uint16_t port) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(a.value());
  sin.sin_port = htons(port);
  return sin;
}

// A kernel UDP socket bound to `a` on a port of the kernel's choosing; returns the port too.
std::pair<UniqueFd, uint16_t> kernel_udp_socket(Address a) {
  UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in sin = socket_address(a, 0);
  EXPECT_EQ(::bind(sock.get(), reinterpret_cast<sockaddr*>(&sin), sizeof sin), 0) << errno_text();
  socklen_t len = sizeof sin;
  EXPECT_EQ(::getsockname(sock.get(), reinterpret_cast<sockaddr*>(&sin), &len), 0);
  return {std::move(sock), ntohs(sin.sin_port)};
}

std::span<const std::byte> as_bytes(std::string_view s) {
  return std::as_bytes(std::span(s));
}

// A whole IPv4 + UDP datagram, both checksums filled (RFC 768: the pseudo-header is summed in).
PacketBuffer udp_datagram(Address src, uint16_t sport, Address dst, uint16_t dport,
                          std::span<const std::byte> payload) {
  const size_t udp_len = kUdpHeaderLen + payload.size();
  const wire::ipv4::Repr ip{.src = src, .dst = dst, .protocol = kUdp, .payload_len = udp_len};
  PacketBuffer b = PacketBuffer::with_capacity(ip.buffer_len());
  const std::span<std::byte> out = b.append(ip.buffer_len());
  ip.emit(out);
  const std::span<std::byte> udp = out.subspan(wire::ipv4::kMinHeaderLen);
  wire::set16(udp.data(), 0, sport);
  wire::set16(udp.data(), 2, dport);
  wire::set16(udp.data(), 4, static_cast<uint16_t>(udp_len));
  wire::set16(udp.data(), 6, 0);
  std::memcpy(udp.data() + kUdpHeaderLen, payload.data(), payload.size());
  const uint32_t pseudo =
      wire::checksum::pseudo_header(src, dst, kUdp, static_cast<uint16_t>(udp_len));
  uint16_t sum =
      static_cast<uint16_t>(~wire::checksum::fold(wire::checksum::accumulate(udp, pseudo)));
  wire::set16(udp.data(), 6, sum == 0 ? 0xffff : sum);  // RFC 768: zero means "no checksum"
  return b;
}

// Waits (bounded) until `fd` is ready for `events`.
bool wait_ready(int fd, short events, int timeout_ms = 2000) {
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, timeout_ms) > 0;
}

// Receives from the link until a UDP datagram to `dst`:`dport` arrives (other traffic, such as
// IPv6 router solicitations, is skipped) and returns its UDP payload, or nullopt after ~2 s.
std::optional<std::string> receive_udp_to(TunLink& link, Address dst, uint16_t dport) {
  for (int round = 0; round < 20; ++round) {
    if (!wait_ready(link.fd(), POLLIN, 100)) continue;
    while (auto p = link.receive(Instant())) {
      EXPECT_GE(p->headroom(), PacketBuffer::kHeadroom);
      const auto ip = wire::ipv4::Repr::parse(p->bytes());
      if (!ip || ip->protocol != kUdp || ip->dst != dst) continue;
      const auto udp = p->bytes().subspan(ip->header_len, ip->payload_len);
      if (udp.size() < kUdpHeaderLen || wire::get16(udp.data(), 2) != dport) continue;
      EXPECT_TRUE(wire::checksum::verify(
          udp,
          wire::checksum::pseudo_header(ip->src, ip->dst, kUdp, static_cast<uint16_t>(udp.size()))))
          << "the kernel's UDP checksum does not verify";
      EXPECT_EQ(ip->src, kHost);
      const auto payload = udp.subspan(kUdpHeaderLen);
      return std::string(reinterpret_cast<const char*>(payload.data()), payload.size());
    }
  }
  return std::nullopt;
}

class TunLinkKernel : public testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (creates TUN devices in a network namespace)";
    if (::access("/dev/net/tun", F_OK) != 0) GTEST_SKIP() << "/dev/net/tun is missing";
  }
};

TEST_F(TunLinkKernel, CreatesDeviceUpWithHostAddressAndReadsMtu) {
  in_netns([] {
    ASSERT_FALSE(device_exists(kDev));
    auto link = TunLink::open({.name = kDev, .host_addr = kHostCidr});
    EXPECT_TRUE(link->created());
    EXPECT_EQ(link->name(), kDev);
    EXPECT_EQ(link->describe(), "tun(tdr0)");
    EXPECT_TRUE(device_exists(kDev));
    const KernelView v = kernel_view(kDev, true);
    EXPECT_TRUE(v.up);
    EXPECT_EQ(v.addr, kHost);
    EXPECT_EQ(v.mask, Address(255, 255, 255, 0));
    EXPECT_EQ(link->caps().mtu, v.mtu);
    EXPECT_EQ(v.mtu, 1500u);  // the kernel's default for a TUN device
  });
}

TEST_F(TunLinkKernel, SetsRequestedMtuOnCreatedDevice) {
  in_netns([] {
    auto link = TunLink::open({.name = kDev, .mtu = 1400});
    EXPECT_EQ(link->caps().mtu, 1400u);
    const KernelView v = kernel_view(kDev, false);
    EXPECT_EQ(v.mtu, 1400u);
    EXPECT_TRUE(v.up);  // up even without an address, so writes do not fail with EIO
  });
}

TEST_F(TunLinkKernel, ExpandsNameTemplate) {
  in_netns([] {
    auto link = TunLink::open({.name = "tdr%d"});
    EXPECT_TRUE(link->created());
    EXPECT_EQ(link->name(), "tdr0");
    EXPECT_TRUE(device_exists(link->name()));
  });
}

TEST_F(TunLinkKernel, DatagramFromKernelArrivesOnReceive) {
  in_netns([] {
    auto link = TunLink::open({.name = kDev, .host_addr = kHostCidr});
    auto [sock, port] = kernel_udp_socket(kHost);
    const std::string_view payload = "hello from the kernel";
    const sockaddr_in to = socket_address(kPeer, 9999);
    ASSERT_EQ(::sendto(sock.get(), payload.data(), payload.size(), 0,
                       reinterpret_cast<const sockaddr*>(&to), sizeof to),
              static_cast<ssize_t>(payload.size()))
        << errno_text();
    EXPECT_EQ(receive_udp_to(*link, kPeer, 9999), payload);
    EXPECT_GE(link->stats().rx_packets, 1u);
    EXPECT_GE(link->stats().rx_bytes, wire::ipv4::kMinHeaderLen + kUdpHeaderLen + payload.size());
    EXPECT_EQ(link->stats().rx_errors, 0u);
  });
}

TEST_F(TunLinkKernel, TransmittedDatagramReachesKernelSocket) {
  in_netns([] {
    auto link = TunLink::open({.name = kDev, .host_addr = kHostCidr});
    auto [sock, port] = kernel_udp_socket(kHost);
    const std::string_view payload = "hello from tundra";
    PacketBuffer d = udp_datagram(kPeer, 4242, kHost, port, as_bytes(payload));
    const size_t size = d.size();
    link->transmit(std::move(d), Instant());
    EXPECT_EQ(link->stats().tx_packets, 1u);
    EXPECT_EQ(link->stats().tx_bytes, size);
    EXPECT_FALSE(link->wants_writable());

    ASSERT_TRUE(wait_ready(sock.get(), POLLIN)) << "the kernel socket got nothing";
    char got[256];
    sockaddr_in from{};
    socklen_t from_len = sizeof from;
    const ssize_t n =
        ::recvfrom(sock.get(), got, sizeof got, 0, reinterpret_cast<sockaddr*>(&from), &from_len);
    ASSERT_GE(n, 0) << errno_text();
    EXPECT_EQ(std::string_view(got, static_cast<size_t>(n)), payload);
    EXPECT_EQ(Address(ntohl(from.sin_addr.s_addr)), kPeer);
    EXPECT_EQ(ntohs(from.sin_port), 4242);
  });
}

TEST_F(TunLinkKernel, DropsAndCountsOversizeDatagramButSendsOneOfExactlyMtu) {
  in_netns([] {
    auto link = TunLink::open({.name = kDev, .mtu = 1280, .host_addr = kHostCidr});
    auto [sock, port] = kernel_udp_socket(kHost);
    const size_t overhead = wire::ipv4::kMinHeaderLen + kUdpHeaderLen;
    const std::string big(1281 - overhead, 'x');
    link->transmit(udp_datagram(kPeer, 4242, kHost, port, as_bytes(big)), Instant());
    EXPECT_EQ(link->stats().tx_dropped, 1u);
    EXPECT_EQ(link->stats().tx_packets, 0u);
    EXPECT_FALSE(link->wants_writable()) << "an oversize datagram is not queued";

    const std::string fits(1280 - overhead, 'y');
    link->transmit(udp_datagram(kPeer, 4242, kHost, port, as_bytes(fits)), Instant());
    EXPECT_EQ(link->stats().tx_packets, 1u);
    ASSERT_TRUE(wait_ready(sock.get(), POLLIN));
    std::vector<char> got(2048);
    EXPECT_EQ(::recv(sock.get(), got.data(), got.size(), 0), static_cast<ssize_t>(fits.size()));
  });
}

TEST_F(TunLinkKernel, WriteErrorIsCountedNotFatal) {
  in_netns([] {
    auto link = TunLink::open({.name = kDev, .host_addr = kHostCidr});
    // Not IPv4 or IPv6 (version nibble 0): the kernel refuses it with EINVAL.
    link->transmit(PacketBuffer::copy_of(std::vector<std::byte>(40)), Instant());
    EXPECT_EQ(link->stats().tx_dropped, 1u);
    EXPECT_FALSE(link->wants_writable()) << "a datagram the device refuses is not retried";
    auto [sock, port] = kernel_udp_socket(kHost);
    link->transmit(udp_datagram(kPeer, 4242, kHost, port, as_bytes("still works")), Instant());
    EXPECT_EQ(link->stats().tx_packets, 1u);
    EXPECT_TRUE(wait_ready(sock.get(), POLLIN));
  });
}

TEST_F(TunLinkKernel, CreatedDeviceDisappearsWhenLinkIsDestroyed) {
  in_netns([] {
    auto link = TunLink::open({.name = kDev, .host_addr = kHostCidr});
    ASSERT_TRUE(device_exists(kDev));
    link.reset();
    EXPECT_FALSE(device_exists(kDev));
  });
}

TEST_F(TunLinkKernel, AttachesToExistingPersistentDeviceAndLeavesIt) {
  in_netns([] {
    make_persistent(kDev, std::nullopt);
    ASSERT_TRUE(device_exists(kDev));
    {
      auto link = TunLink::open({.name = kDev, .mtu = 9000, .host_addr = kHostCidr});
      EXPECT_FALSE(link->created());
      EXPECT_EQ(link->caps().mtu, 9000u) << "root may change the MTU of an existing device";
      const KernelView v = kernel_view(kDev, false);
      EXPECT_EQ(v.mtu, 9000u);
      EXPECT_TRUE(v.up) << "we may bring it up, so we do";
      UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
      ifreq ifr{};
      std::strncpy(ifr.ifr_name, kDev, IFNAMSIZ - 1);
      EXPECT_NE(::ioctl(sock.get(), SIOCGIFADDR, &ifr), 0)
          << "the host address is only given to a device we create";
    }
    EXPECT_TRUE(device_exists(kDev)) << "a persistent device outlives the link";
    remove_persistent(kDev);
    EXPECT_FALSE(device_exists(kDev));
  });
}

TEST_F(TunLinkKernel, NonRootOwnerAttachesAndMakesDoWithoutPrivileges) {
  in_netns([] {
    private_tun_node();
    make_persistent(kDev, kNobody);
    // An owner-less device is open to anyone who may open /dev/net/tun; one owned by root is not.
    make_persistent("tdr1", 0);
    as_nobody([] {
      {
        auto link = TunLink::open({.name = kDev, .mtu = 1280});
        EXPECT_FALSE(link->created());
        EXPECT_EQ(link->caps().mtu, 1280u) << "cannot shrink the device MTU: send less instead";
        const KernelView v = kernel_view(kDev, false);
        EXPECT_EQ(v.mtu, 1500u);
        EXPECT_FALSE(v.up) << "nobody may not bring it up";
      }
      {
        auto link = TunLink::open({.name = kDev, .mtu = 9000});
        EXPECT_EQ(link->caps().mtu, 1500u) << "the smaller of the two";
      }
      try {
        TunLink::open({.name = "tdr1"});
        ADD_FAILURE() << "attached to a device owned by root";
      } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("tdr1: permission denied attaching"),
                  std::string::npos)
            << e.what();
      }
      try {
        TunLink::open({.name = "tdr2"});
        ADD_FAILURE() << "created a device without CAP_NET_ADMIN";
      } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("tdr2: permission denied creating"), std::string::npos)
            << e.what();
        EXPECT_NE(std::string(e.what()).find("ip tuntap add dev tdr2 mode tun user"),
                  std::string::npos)
            << e.what();
      }
    });
    EXPECT_FALSE(device_exists("tdr2"));
    remove_persistent(kDev);
    remove_persistent("tdr1");
  });
}

TEST(TunLinkConfig, RefusesBadConfigurationWithOneLineReasons) {
  auto reason = [](const TunConfig& c) {
    try {
      TunLink::open(c);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(reason({.name = "a-name-far-too-long"}),
            "a-name-far-too-long: the device name is too long (at most 15 characters)");
  EXPECT_EQ(reason({.name = kDev, .mtu = 40}), "tdr0: MTU 40 is out of range (68..65535)");
  EXPECT_EQ(reason({.name = kDev, .max_pending = 0}), "tdr0: max_pending must be at least 1");
}

// The output path driven through a datagram socketpair, which (unlike a TUN device, whose default
// send buffer is unlimited) really does fill up and answer EAGAIN.
class TunLinkQueue : public testing::Test {
 protected:
  void SetUp() override {
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), 0) << errno_text();
    peer_.reset(sv[1]);
    ASSERT_EQ(::fcntl(peer_.get(), F_SETFL, O_NONBLOCK), 0);
    link_ = TunLink::adopt(sv[0], {.name = "sock", .mtu = kMtu, .max_pending = kMaxPending});
  }

  // A datagram whose first four bytes number it.
  static PacketBuffer numbered(uint32_t seq, size_t size = 1000) {
    PacketBuffer b = PacketBuffer::with_capacity(size);
    std::memset(b.append(size).data(), 0, size);
    wire::set32(b.data(), 0, seq);
    return b;
  }

  // Reads what the peer has waiting; returns the numbers in arrival order.
  std::vector<uint32_t> drain_peer() {
    std::vector<uint32_t> seqs;
    std::byte buf[kMtu];
    for (ssize_t n; (n = ::recv(peer_.get(), buf, sizeof buf, 0)) >= 4;)
      seqs.push_back(wire::get32(buf, 0));
    return seqs;
  }

  static constexpr size_t kMtu = 1500;
  static constexpr size_t kMaxPending = 4;
  UniqueFd peer_;
  std::unique_ptr<TunLink> link_;
};

TEST_F(TunLinkQueue, HoldsOutputWhileBusyAndFlushesInOrderOnPoll) {
  uint32_t seq = 0;
  // Fill the socket until the link starts holding datagrams back (bounded: the socket's buffer
  // takes a few hundred at most).
  while (link_->pending() == 0 && seq < 10'000)
    link_->transmit(numbered(seq++), Instant());
  ASSERT_EQ(link_->pending(), 1u) << "the socket never filled up";
  const uint64_t sent_directly = link_->stats().tx_packets;
  EXPECT_EQ(sent_directly, seq - 1);
  EXPECT_TRUE(link_->wants_writable());

  while (link_->pending() < kMaxPending)
    link_->transmit(numbered(seq++), Instant());
  EXPECT_EQ(link_->stats().tx_dropped, 0u) << "held, not dropped";

  // The queue is full and nobody drains the socket: transmit waits a short while, then drops.
  const auto start = std::chrono::steady_clock::now();
  link_->transmit(numbered(seq++), Instant());
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(link_->stats().tx_dropped, 1u);
  EXPECT_EQ(link_->pending(), kMaxPending);
  EXPECT_GE(waited, std::chrono::milliseconds(45)) << "gave up without waiting for the device";
  EXPECT_LT(waited, std::chrono::seconds(1)) << "waited far longer than a moment";

  // The reader catches up; poll() moves the held datagrams along, oldest first.
  std::vector<uint32_t> got = drain_peer();
  EXPECT_TRUE(wait_ready(link_->fd(), POLLOUT));
  link_->poll(Instant());
  EXPECT_EQ(link_->pending(), 0u);
  EXPECT_FALSE(link_->wants_writable());
  for (uint32_t s : drain_peer())
    got.push_back(s);
  ASSERT_EQ(got.size(), seq - 1) << "everything but the one dropped datagram arrives";
  for (uint32_t i = 0; i < got.size(); ++i)
    EXPECT_EQ(got[i], i);
  EXPECT_EQ(link_->stats().tx_packets, seq - 1);
}

TEST_F(TunLinkQueue, NewDatagramWaitsBehindHeldOnes) {
  uint32_t seq = 0;
  while (link_->pending() == 0 && seq < 10'000)
    link_->transmit(numbered(seq++), Instant());
  ASSERT_EQ(link_->pending(), 1u);
  // Room appears for one datagram only; the next transmit must send the held one, not skip it.
  std::byte buf[kMtu];
  ASSERT_GT(::recv(peer_.get(), buf, sizeof buf, 0), 0);
  link_->transmit(numbered(seq++), Instant());
  std::vector<uint32_t> got = drain_peer();
  link_->poll(Instant());
  for (uint32_t s : drain_peer())
    got.push_back(s);
  ASSERT_EQ(got.size(), seq - 1);  // the first was read above
  for (uint32_t i = 0; i < got.size(); ++i)
    EXPECT_EQ(got[i], i + 1);
}

TEST_F(TunLinkQueue, ReceivesWithHeaderRoomAndCountsOversizeAsError) {
  EXPECT_FALSE(link_->receive(Instant()).has_value());
  EXPECT_EQ(link_->stats().rx_errors, 0u) << "nothing waiting is not an error";

  const std::vector<std::byte> d(kMtu, std::byte{0x45});
  ASSERT_EQ(::send(peer_.get(), d.data(), d.size(), 0), static_cast<ssize_t>(d.size()));
  auto p = link_->receive(Instant());
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->size(), kMtu);
  EXPECT_GE(p->headroom(), PacketBuffer::kHeadroom);
  EXPECT_EQ(link_->stats().rx_packets, 1u);
  EXPECT_EQ(link_->stats().rx_bytes, kMtu);

  // Bigger than anything the device should send: it would have been cut short, so it is dropped.
  const std::vector<std::byte> big(kMtu + 600, std::byte{0x45});
  ASSERT_EQ(::send(peer_.get(), big.data(), big.size(), 0), static_cast<ssize_t>(big.size()));
  EXPECT_FALSE(link_->receive(Instant()).has_value());
  EXPECT_EQ(link_->stats().rx_errors, 1u);
  EXPECT_EQ(link_->stats().rx_packets, 1u);
}

TEST_F(TunLinkQueue, PrefetchedDatagramsComeOutInOrderAndAreCountedWhenTaken) {
  // The loop reads before taking its lock (Link::prefetch); the stack takes them later, in order,
  // and only then are they counted (the counters belong to the lock's side). An oversize one is
  // still refused when taken.
  for (uint32_t i = 0; i < 5; ++i) {
    PacketBuffer b = numbered(i, 100 + i);
    ASSERT_EQ(::send(peer_.get(), b.data(), b.size(), 0), static_cast<ssize_t>(b.size()));
  }
  const std::vector<std::byte> big(kMtu + 600, std::byte{0x45});
  ASSERT_EQ(::send(peer_.get(), big.data(), big.size(), 0), static_cast<ssize_t>(big.size()));
  PacketBuffer last = numbered(5, 60);
  ASSERT_EQ(::send(peer_.get(), last.data(), last.size(), 0), static_cast<ssize_t>(last.size()));
  link_->prefetch();
  EXPECT_EQ(link_->stats().rx_packets, 0u);
  for (uint32_t i = 0; i < 5; ++i) {
    auto p = link_->receive(Instant());
    ASSERT_TRUE(p.has_value()) << i;
    EXPECT_EQ(wire::get32(p->data(), 0), i);
    EXPECT_EQ(p->size(), 100 + i);
    EXPECT_GE(p->headroom(), PacketBuffer::kHeadroom);
  }
  EXPECT_FALSE(link_->receive(Instant()).has_value());  // the oversize one
  EXPECT_EQ(link_->stats().rx_errors, 1u);
  auto p = link_->receive(Instant());
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(wire::get32(p->data(), 0), 5u);
  EXPECT_EQ(link_->stats().rx_packets, 6u);
  EXPECT_FALSE(link_->receive(Instant()).has_value());
  EXPECT_EQ(link_->stats().rx_errors, 1u) << "nothing waiting is not an error";
}

// With a TxThread (the programs' --tx-thread): a round's datagrams wait for the round's end
// (poll), then go out in order, whichever thread writes them; the link's destruction writes what
// is still queued. A reader thread keeps the socket from filling up.
TEST(TunLinkTxThread, HoldsTheRoundsDatagramsUntilPollThenSendsAllInOrder) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), 0) << errno_text();
  UniqueFd peer(sv[1]);
  auto link = TunLink::adopt(sv[0], {.name = "sock", .mtu = 1500, .tx_thread = true});
  auto numbered = [](uint32_t seq) {
    PacketBuffer b = PacketBuffer::with_capacity(200);
    std::memset(b.append(200).data(), 0, 200);
    wire::set32(b.data(), 0, seq);
    return b;
  };
  for (uint32_t i = 0; i < 10; ++i)
    link->transmit(numbered(i), Instant());
  EXPECT_FALSE(wait_ready(peer.get(), POLLIN, 0)) << "written before the round ended";
  EXPECT_EQ(link->pending(), 10u);

  constexpr uint32_t kTotal = 3000;
  std::vector<uint32_t> got;
  std::thread reader([&] {
    std::byte buf[1500];
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (got.size() < kTotal && std::chrono::steady_clock::now() < deadline) {
      if (!wait_ready(peer.get(), POLLIN, 100)) continue;
      for (ssize_t n; (n = ::recv(peer.get(), buf, sizeof buf, MSG_DONTWAIT)) >= 4;)
        got.push_back(wire::get32(buf, 0));
    }
  });
  link->poll(Instant());
  for (uint32_t i = 10; i < kTotal; ++i) {  // rounds of 97, past the 64 handed over early
    link->transmit(numbered(i), Instant());
    if (i % 97 == 0) link->poll(Instant());
  }
  link->poll(Instant());
  link.reset();
  reader.join();
  ASSERT_EQ(got.size(), kTotal);
  for (uint32_t i = 0; i < kTotal; ++i)
    ASSERT_EQ(got[i], i) << "out of order at " << i;
}

TEST_F(TunLinkQueue, ReportsCountersUnderItsName) {
  link_->transmit(numbered(0, kMtu + 1), Instant());
  CounterReport report;
  link_->report(report);
  ASSERT_EQ(report.size(), 1u);
  EXPECT_EQ(report[0].name, "link tun(sock)");
  bool found = false;
  for (const auto& [label, value] : report[0].values)
    if (label == "packets dropped on output") found = (value == 1);
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace tundra::netif
