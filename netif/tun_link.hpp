// TunLink: a Link over a Linux TUN device (IFF_TUN | IFF_NO_PI), one IPv4 datagram per read/write;
// with offloads (IFF_VNET_HDR), each behind a virtio-net header and TCP segments up to 64 KiB.
// Opened by the programs' link-chain builder; the stack then drives it on the loop thread.
#pragma once

#include <array>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netif/link.hpp"
#include "netif/log_limiter.hpp"
#include "netif/tx_thread.hpp"
#include "netif/unique_fd.hpp"
#include "stack/wire/ipv4_address.hpp"

namespace tundra::netif {

// Every member has an initializer so callers may name only what they set ({.name = "tun1"}).
struct TunConfig {
  std::string name = "tun0";
  std::optional<size_t> mtu{};                  // --mtu; otherwise read from the device
  std::optional<wire::ipv4::Cidr> host_addr{};  // kernel-side address, set only when we create it
  size_t max_pending = 1024;   // datagrams waiting for the device to become writable
  size_t tx_queue_len = 4096;  // the kernel's queue towards us, on devices we create
  // --offload: IFF_VNET_HDR with TUNSETOFFLOAD (checksums, TSO for IPv4). The kernel then hands
  // us TCP segments it has not cut (up to 64 KiB, checksums left partial) and cuts ours; the
  // stack skips checksums on both. Off by default: captures and labs want the real segments.
  bool offload = false;
  // --tx-thread (the programs' default): writes go through a TxThread, which hands a round's
  // datagrams to a thread of its own when writing them costs more than waking it. Off here, so a
  // datagram transmitted is written before transmit() returns, as tests of the link expect.
  bool tx_thread = false;
};

class TunLink final : public Link {
 public:
  // Attaches to the device `config.name` if it exists (a persistent device made by
  // `ip tuntap add … user U` works without privileges), otherwise creates it (needs
  // CAP_NET_ADMIN), gives the kernel side `host_addr` and brings it up. A device we create is not
  // persistent: it goes away when this link is destroyed. Throws std::runtime_error with a
  // one-line reason naming the device.
  static std::unique_ptr<TunLink> open(const TunConfig& config);

  // Wraps a descriptor that is already open and carries one datagram per read()/write(): a TUN
  // descriptor handed over by a privileged helper, or a datagram socket in tests. Takes ownership
  // and makes it non-blocking; changes nothing about the device. The MTU is `config.mtu`, else
  // read from the device named `config.name`.
  static std::unique_ptr<TunLink> adopt(int fd, const TunConfig& config);

  ~TunLink() override;
  TunLink(const TunLink&) = delete;
  TunLink& operator=(const TunLink&) = delete;

  LinkCaps caps() const override;
  std::optional<PacketBuffer> receive(Instant now) override;
  void prefetch() override;
  void transmit(PacketBuffer packet, Instant now) override;
  void poll(Instant now) override;
  int fd() const override { return fd_.get(); }
  bool wants_writable() const override { return !pending_.empty(); }

  const LinkStats& stats() const override;
  void report(CounterReport& out) const override;
  std::string describe() const override { return "tun(" + name_ + ")"; }

  // True when this link created the device (and so removes it when destroyed).
  bool created() const { return created_; }
  // The device's name as the kernel knows it.
  const std::string& name() const { return name_; }
  // Datagrams waiting for the device to accept them.
  size_t pending() const {
    return pending_.size() + outbox_.size() + (tx_thread_ ? tx_thread_->queued() : 0);
  }

 private:
  enum class WriteResult { Sent, WouldBlock, Failed };

  TunLink(UniqueFd fd, std::string name, size_t mtu, size_t rx_capacity, bool created,
          size_t max_pending, bool offload, bool tx_thread);

  WriteResult write_one(const PacketBuffer& packet, Instant now);
  // One write(2) (writev with the virtio-net header): 0, or its errno. Touches nothing else, so
  // the TxThread may call it.
  int write_datagram(const PacketBuffer& packet) const;
  // Hands what transmit() collected this round to the TxThread.
  void flush_outbox();
  // Checks a datagram as read (its size, the virtio-net header) and counts it.
  std::optional<PacketBuffer> accept(PacketBuffer raw, Instant now);
  void flush_pending(Instant now);
  bool wait_for_room(Instant now);
  void drop_on_output(std::string_view why, size_t size, Instant now);

  UniqueFd fd_;  // closing it removes a device we created
  std::string name_;
  size_t mtu_;          // largest datagram we send
  size_t rx_capacity_;  // read buffer size: more than the largest datagram the device sends us
  bool created_;
  size_t max_pending_;
  bool offload_;  // every datagram has a virtio-net header in front (TunConfig::offload)
  std::deque<PacketBuffer> pending_;  // in order; written before anything newer
  // Read by prefetch(), not yet looked at: raw, as read (touched by the loop's thread only, and
  // so not counted until receive() takes them under the loop's lock). A fixed ring: a deque
  // would allocate a block every dozen datagrams.
  static constexpr size_t kPrefetchMax = 64;
  std::array<PacketBuffer, kPrefetchMax> prefetched_;
  size_t prefetch_head_ = 0, prefetch_count_ = 0;
  LinkStats stats_;
  mutable LinkStats stats_view_;  // stats_ with the TxThread's counts, made by stats()
  LogLimiter rx_log_, tx_log_;
  // With TunConfig::tx_thread: this round's datagrams, handed over together by poll().
  std::vector<PacketBuffer> outbox_;
  static constexpr size_t kOutboxMax = 64;  // handed over early past this many
  std::mutex fail_mu_;   // the TxThread reports losses from its thread and from the caller's
  LogLimiter fail_log_;  // their warnings (guarded by fail_mu_)
  std::unique_ptr<TxThread> tx_thread_;  // last: its thread stops before the rest goes
};

}  // namespace tundra::netif
