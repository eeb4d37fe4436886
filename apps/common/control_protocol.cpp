// The control socket's protocol: request parsing and the text and JSON renderings.
#include "apps/common/control_protocol.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <vector>

#include "apps/common/json.hpp"

namespace tundra::app::control {

namespace {

struct CommandInfo {
  std::string_view name;
  Command command;
  std::string_view description;
};

constexpr std::array<CommandInfo, 4> kCommands{{
    {"connections", Command::Connections,
     "one row per TCP connection: state, addresses, sequence numbers (relative to ISS/IRS), "
     "windows, congestion control, RTT, bytes in flight, retransmissions, queues, age"},
    {"stats", Command::Stats, "every counter of the stack and its links, like netstat -s"},
    {"listeners", Command::Listeners,
     "one row per listening socket: address:port, backlog, half-open, waiting for accept"},
    {"help", Command::Help, "this list"},
}};

// Part of a request for an error message: at most 64 bytes, so an error never echoes 1 KiB.
std::string excerpt(std::string_view s) {
  constexpr size_t kMax = 64;
  if (s.size() <= kMax) return std::string(s);
  return std::string(s.substr(0, kMax)) + "...";
}

std::string endpoint(wire::ipv4::Address a, uint16_t port) {
  return fmt::format("{}:{}", a.to_string(), port);
}

std::string millis(Duration d, int decimals) {
  return fmt::format("{:.{}f}", static_cast<double>(d.count()) / 1000.0, decimals);
}

// Columns aligned like ss: strings left, numbers right, two spaces between.
class TextTable {
 public:
  // A header starting with '<' is a left-aligned column (the '<' is not shown).
  explicit TextTable(std::vector<std::string> headers) {
    for (auto& h : headers) {
      const bool left = !h.empty() && h[0] == '<';
      if (left) h.erase(0, 1);
      left_.push_back(left);
      width_.push_back(h.size());
    }
    rows_.push_back(std::move(headers));
  }
  void add(std::vector<std::string> row) {
    for (size_t i = 0; i < row.size() && i < width_.size(); ++i)
      width_[i] = std::max(width_[i], row[i].size());
    rows_.push_back(std::move(row));
  }
  std::string render() const {
    std::string out;
    for (const auto& row : rows_) {
      std::string line;
      for (size_t i = 0; i < row.size() && i < width_.size(); ++i) {
        if (i > 0) line += "  ";
        const size_t pad = width_[i] - row[i].size();
        if (left_[i]) {
          line += row[i];
          if (i + 1 < row.size()) line.append(pad, ' ');
        } else {
          line.append(pad, ' ');
          line += row[i];
        }
      }
      out += line;
      out += '\n';
    }
    return out;
  }

 private:
  std::vector<bool> left_;
  std::vector<size_t> width_;
  std::vector<std::vector<std::string>> rows_;
};

template <class T>
std::string or_dash(const std::optional<T>& v) {
  return v ? std::to_string(*v) : "-";
}

}  // namespace

Result<Request, std::string> parse_request(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.size() > kMaxRequestLine)
    return Err(fmt::format("request line longer than {} bytes", kMaxRequestLine));
  for (char c : line)
    if (!is_text_byte(c)) return Err(std::string("request contains binary bytes"));
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
      ++i;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t')
      ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  if (words.empty()) return Err(std::string("empty request (try help)"));
  const auto it = std::find_if(kCommands.begin(), kCommands.end(),
                               [&](const CommandInfo& c) { return c.name == words[0]; });
  if (it == kCommands.end())
    return Err(fmt::format("unknown command '{}' (try help)", excerpt(words[0])));
  Request r;
  r.command = it->command;
  for (size_t w = 1; w < words.size(); ++w) {
    if (words[w] == "--json")
      r.json = true;
    else
      return Err(fmt::format("unknown option '{}' (try help)", excerpt(words[w])));
  }
  return r;
}

bool is_text_byte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u >= 0x20 && u < 0x7f) || u == '\t';
}

std::string error_line(std::string_view message) {
  return fmt::format("error: {}\n", message);
}

std::string render_connections(const tcp::Table& t, bool json) {
  if (json) {
    json::Writer w;
    w.begin_array();
    for (const auto& r : t.connections) {
      w.begin_object();
      w.field("id", r.id);
      w.field("state", tcp::to_string(r.state));
      w.field("local_addr", r.tuple.local_addr.to_string());
      w.field("local_port", r.tuple.local_port);
      w.field("remote_addr", r.tuple.remote_addr.to_string());
      w.field("remote_port", r.tuple.remote_port);
      w.field("iss", r.iss);
      w.field("irs", r.irs);
      w.field("snd_una_rel", r.snd_una_rel);
      w.field("snd_nxt_rel", r.snd_nxt_rel);
      w.field("rcv_nxt_rel", r.rcv_nxt_rel);
      w.field("snd_wnd", r.snd_wnd);
      w.field("rcv_wnd", r.rcv_wnd);
      w.field("mss", r.mss);
      w.field("snd_wscale", r.snd_wscale);
      w.field("rcv_wscale", r.rcv_wscale);
      w.field("sack", r.sack);
      w.field("timestamps", r.timestamps);
      w.field("cc", r.cc);
      w.field("cwnd", r.cwnd);
      w.field("ssthresh", r.ssthresh);
      w.field("in_recovery", r.in_recovery);
      w.key("srtt_us");
      if (r.srtt)
        w.value(r.srtt->count());
      else
        w.null();
      w.field("rttvar_us", r.rttvar.count());
      w.field("rto_us", r.rto.count());
      w.field("inflight", r.bytes_in_flight);
      w.field("retransmits", r.retransmits);
      w.field("fast_retransmits", r.fast_retransmits);
      w.field("timeouts", r.timeouts);
      w.field("reordering_seen", r.reordering_seen);
      w.field("reo_wnd_us", r.reo_wnd.count());
      w.field("dsacks_in", r.dsacks_in);
      w.field("segments_in", r.segments_in);
      w.field("segments_out", r.segments_out);
      w.field("bytes_in", r.bytes_in);
      w.field("bytes_out", r.bytes_out);
      w.field("send_queued", r.send_queued);
      w.field("recv_queued", r.recv_queued);
      w.field("age_us", r.age.count());
      w.field("timer", tcp::to_string(r.timer));
      w.key("timer_in_us");
      if (r.timer_in)
        w.value(r.timer_in->count());
      else
        w.null();
      w.end_object();
    }
    w.end_array();
    return w.str() + "\n";
  }
  TextTable table({"<State", "<Local", "<Remote", "Una-ISS", "Nxt-ISS", "RcvNxt-IRS", "SndWnd",
                   "RcvWnd", "Cwnd", "Ssthresh", "Srtt(ms)", "Rttvar(ms)", "Rto(ms)", "InFlight",
                   "Retrans", "Send-Q", "Recv-Q", "Age(s)"});
  for (const auto& r : t.connections) {
    table.add({std::string(tcp::to_string(r.state)),
               endpoint(r.tuple.local_addr, r.tuple.local_port),
               endpoint(r.tuple.remote_addr, r.tuple.remote_port), std::to_string(r.snd_una_rel),
               std::to_string(r.snd_nxt_rel), or_dash(r.rcv_nxt_rel), std::to_string(r.snd_wnd),
               std::to_string(r.rcv_wnd), std::to_string(r.cwnd),
               r.ssthresh ? std::to_string(*r.ssthresh) : "inf", r.srtt ? millis(*r.srtt, 3) : "-",
               millis(r.rttvar, 3), millis(r.rto, 1), std::to_string(r.bytes_in_flight),
               std::to_string(r.retransmits), std::to_string(r.send_queued),
               std::to_string(r.recv_queued),
               fmt::format("{:.1f}", static_cast<double>(r.age.count()) / 1e6)});
  }
  return table.render();
}

std::string render_listeners(const tcp::Table& t, bool json) {
  if (json) {
    json::Writer w;
    w.begin_array();
    for (const auto& l : t.listeners) {
      w.begin_object();
      w.field("id", l.id);
      w.field("local_addr", l.local.address.to_string());
      w.field("local_port", l.local.port);
      w.field("backlog", l.backlog);
      w.field("half_open", l.half_open);
      w.field("accept_queue", l.queued);
      w.end_object();
    }
    w.end_array();
    return w.str() + "\n";
  }
  TextTable table({"<Local", "Backlog", "Half-open", "Accept-Q"});
  for (const auto& l : t.listeners)
    table.add({endpoint(l.local.address, l.local.port), std::to_string(l.backlog),
               std::to_string(l.half_open), std::to_string(l.queued)});
  return table.render();
}

std::string render_stats(const CounterReport& r, bool json) {
  if (!json) return format_report(r);
  json::Writer w;
  w.begin_array();
  for (const auto& g : r) {
    w.begin_object();
    w.field("group", g.name);
    w.key("counters").begin_array();
    for (const auto& [label, value] : g.values) {
      w.begin_object();
      w.field("name", label);
      w.field("value", value);
      w.end_object();
    }
    w.end_array();
    w.end_object();
  }
  w.end_array();
  return w.str() + "\n";
}

std::string render_help(bool json) {
  if (json) {
    json::Writer w;
    w.begin_object();
    w.key("commands").begin_array();
    for (const auto& c : kCommands) {
      w.begin_object();
      w.field("name", c.name);
      w.field("description", c.description);
      w.end_object();
    }
    w.end_array();
    w.key("options").begin_array().value("--json").end_array();
    w.end_object();
    return w.str() + "\n";
  }
  std::string out = "One request per connection: COMMAND [--json], then a newline.\n";
  for (const auto& c : kCommands)
    out += fmt::format("  {:<12} {}\n", c.name, c.description);
  out += "  --json       answer with one JSON document instead of text\n";
  return out;
}

}  // namespace tundra::app::control
