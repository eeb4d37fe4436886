// The control socket's pure pieces: the JSON writer's escaping and commas, request parsing and
// every refusal, and the text and JSON renderings of hand-made tables and counter reports.
#include "apps/common/control_protocol.hpp"

#include <gtest/gtest.h>

#include "apps/common/json.hpp"

namespace tundra::app {
namespace {

using control::Command;
using control::parse_request;
using control::Request;

TEST(Json, QuoteEscapesWhatRfc8259Requires) {
  EXPECT_EQ(json::quote(""), "\"\"");
  EXPECT_EQ(json::quote("plain"), "\"plain\"");
  EXPECT_EQ(json::quote("a\"b\\c/d"), "\"a\\\"b\\\\c/d\"");
  EXPECT_EQ(json::quote("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"");
  EXPECT_EQ(json::quote(std::string("\x00\x01\x1f\x7f", 4)), "\"\\u0000\\u0001\\u001f\\u007f\"");
}

TEST(Json, QuoteKeepsValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(json::quote("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
  EXPECT_EQ(json::quote("\x80"), "\"\\ufffd\"");                        // a lone continuation byte
  EXPECT_EQ(json::quote("\xc0\xaf"), "\"\\ufffd\\ufffd\"");             // overlong '/'
  EXPECT_EQ(json::quote("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");  // a surrogate
  EXPECT_EQ(json::quote("\xe2\x82"), "\"\\ufffd\\ufffd\"");             // truncated
  EXPECT_EQ(json::quote("\xf5\x80\x80\x80x"), "\"\\ufffd\\ufffd\\ufffd\\ufffdx\"");  // > U+10FFFF
}

TEST(Json, WriterPlacesCommasAndNests) {
  json::Writer w;
  w.begin_object();
  w.field("a", 1);
  w.field("b", "x\"y");
  w.key("list").begin_array();
  w.value(true).value(false).null().value(-5);
  w.begin_object().end_object();
  w.begin_array().end_array();
  w.end_array();
  w.field("none", std::optional<uint32_t>());
  w.field("some", std::optional<uint32_t>(7));
  w.field("big", uint64_t{18446744073709551615u});
  w.end_object();
  EXPECT_EQ(w.str(),
            "{\"a\":1,\"b\":\"x\\\"y\",\"list\":[true,false,null,-5,{},[]],\"none\":null,"
            "\"some\":7,\"big\":18446744073709551615}");
}

TEST(Request, ParsesEveryCommandWithAndWithoutJson) {
  EXPECT_EQ(*parse_request("connections"), (Request{Command::Connections, false}));
  EXPECT_EQ(*parse_request("stats --json"), (Request{Command::Stats, true}));
  EXPECT_EQ(*parse_request("listeners\r"), (Request{Command::Listeners, false}));
  EXPECT_EQ(*parse_request("  help \t--json  \r"), (Request{Command::Help, true}));
}

TEST(Request, RefusesWhatIsNotARequest) {
  const auto error = [](std::string_view line) {
    auto r = parse_request(line);
    return r ? std::string("(accepted)") : r.error();
  };
  EXPECT_EQ(error(""), "empty request (try help)");
  EXPECT_EQ(error(" \t "), "empty request (try help)");
  EXPECT_EQ(error("x"), "unknown command 'x' (try help)");
  EXPECT_EQ(error("Connections"), "unknown command 'Connections' (try help)");
  EXPECT_EQ(error("stats --xml"), "unknown option '--xml' (try help)");
  EXPECT_EQ(error(std::string(100, 'y')),
            "unknown command '" + std::string(64, 'y') + "...' (try help)");
  EXPECT_EQ(error(std::string(1025, 'z')), "request line longer than 1024 bytes");
  EXPECT_EQ(error(std::string("stats\0", 6)), "request contains binary bytes");
  EXPECT_EQ(error("stats\x01"), "request contains binary bytes");
  EXPECT_EQ(error("st\rats"), "request contains binary bytes");
  EXPECT_EQ(error("stats \xc3\xa9"), "request contains binary bytes");
  EXPECT_EQ(control::error_line("boom"), "error: boom\n");
}

tcp::Table sample_table() {
  tcp::Table t;
  tcp::ConnectionRow r;
  r.id = 3;
  r.state = tcp::State::Established;
  r.tuple = {wire::ipv4::Address(10, 0, 0, 2), 80, wire::ipv4::Address(10, 0, 0, 1), 41000};
  r.iss = 4000000000u;
  r.irs = 77;
  r.snd_una_rel = 1001;
  r.snd_nxt_rel = 2449;
  r.rcv_nxt_rel = 120;
  r.snd_wnd = 65535;
  r.rcv_wnd = 262144;
  r.mss = 1448;
  r.snd_wscale = 7;
  r.rcv_wscale = 3;
  r.sack = true;
  r.timestamps = true;
  r.cc = "newreno";
  r.cwnd = 14480;
  r.srtt = Duration(1500);
  r.rttvar = Duration(250);
  r.rto = Duration(200000);
  r.bytes_in_flight = 1448;
  r.retransmits = 2;
  r.reordering_seen = true;
  r.reo_wnd = Duration(375);
  r.dsacks_in = 4;
  r.send_queued = 5000;
  r.recv_queued = 0;
  r.age = Duration(12'345'678);
  r.timer = tcp::TimerKind::Retransmit;
  r.timer_in = Duration(199000);
  t.connections.push_back(r);
  tcp::ConnectionRow s;
  s.id = 4;
  s.state = tcp::State::SynSent;
  s.tuple = {wire::ipv4::Address(10, 0, 0, 2), 50000, wire::ipv4::Address(10, 0, 0, 9), 8080};
  s.iss = 5;
  s.snd_nxt_rel = 1;
  s.cc = "newreno";
  s.cwnd = 14600;
  s.ssthresh = 9000;
  s.rto = Duration(1'000'000);
  s.bytes_in_flight = 1;
  t.connections.push_back(s);
  t.listeners.push_back(tcp::ListenerRow{1, tcp::Endpoint{{}, 80}, 128, 2, 1});
  return t;
}

TEST(Render, ConnectionsTextIsAlignedUnderOneHeader) {
  const std::string text = control::render_connections(sample_table(), false);
  EXPECT_EQ(text,
            "State        Local           Remote          Una-ISS  Nxt-ISS  RcvNxt-IRS  SndWnd  "
            "RcvWnd   Cwnd  Ssthresh  Srtt(ms)  Rttvar(ms)  Rto(ms)  InFlight  Retrans  Send-Q  "
            "Recv-Q  Age(s)\n"
            "ESTABLISHED  10.0.0.2:80     10.0.0.1:41000     1001     2449         120   65535  "
            "262144  14480       inf     1.500       0.250    200.0      1448        2    5000  "
            "     0    12.3\n"
            "SYN-SENT     10.0.0.2:50000  10.0.0.9:8080         0        1           -       0  "
            "     0  14600      9000         -       0.000   1000.0         1        0       0  "
            "     0     0.0\n");
}

TEST(Render, ConnectionsJsonHasEveryKeyAsNumbersAndNulls) {
  const std::string j = control::render_connections(sample_table(), true);
  EXPECT_EQ(j.back(), '\n');
  EXPECT_EQ(j.find('\n'), j.size() - 1);  // one line, one document
  EXPECT_EQ(j.substr(0, 2), "[{");
  for (const char* want :
       {"\"id\":3,\"state\":\"ESTABLISHED\",\"local_addr\":\"10.0.0.2\",\"local_port\":80,"
        "\"remote_addr\":\"10.0.0.1\",\"remote_port\":41000,\"iss\":4000000000,\"irs\":77,"
        "\"snd_una_rel\":1001,\"snd_nxt_rel\":2449,\"rcv_nxt_rel\":120,\"snd_wnd\":65535,"
        "\"rcv_wnd\":262144,\"mss\":1448,\"snd_wscale\":7,\"rcv_wscale\":3,\"sack\":true,"
        "\"timestamps\":true,\"cc\":\"newreno\",\"cwnd\":14480,\"ssthresh\":null,"
        "\"in_recovery\":false,\"srtt_us\":1500,\"rttvar_us\":250,\"rto_us\":200000,"
        "\"inflight\":1448,\"retransmits\":2,",
        "\"timeouts\":0,\"reordering_seen\":true,\"reo_wnd_us\":375,\"dsacks_in\":4,",
        "\"send_queued\":5000,\"recv_queued\":0,\"age_us\":12345678,\"timer\":\"retransmit\","
        "\"timer_in_us\":199000}",
        "\"state\":\"SYN-SENT\"", "\"irs\":null", "\"rcv_nxt_rel\":null", "\"ssthresh\":9000",
        "\"srtt_us\":null", "\"timer\":\"idle\",\"timer_in_us\":null}]"})
    EXPECT_NE(j.find(want), std::string::npos) << want << "\nin " << j;
}

TEST(Render, EmptyTablesAreAHeaderOrAnEmptyArray) {
  const tcp::Table t;
  const std::string text = control::render_connections(t, false);
  EXPECT_EQ(text.find('\n'), text.size() - 1);
  EXPECT_EQ(text.rfind("State", 0), 0u);
  EXPECT_EQ(control::render_connections(t, true), "[]\n");
  EXPECT_EQ(control::render_listeners(t, true), "[]\n");
}

TEST(Render, Listeners) {
  EXPECT_EQ(control::render_listeners(sample_table(), false),
            "Local       Backlog  Half-open  Accept-Q\n"
            "0.0.0.0:80      128          2         1\n");
  EXPECT_EQ(control::render_listeners(sample_table(), true),
            "[{\"id\":1,\"local_addr\":\"0.0.0.0\",\"local_port\":80,\"backlog\":128,"
            "\"half_open\":2,\"accept_queue\":1}]\n");
}

TEST(Render, StatsAsNetstatTextAndAsJson) {
  CounterReport r;
  r.push_back({"tcp", {}});
  r.back().add("segments received", 12);
  r.back().add("odd \"label\"", 0);
  r.push_back({"link tun(tun0)", {}});
  r.back().add("rx packets", 3);
  EXPECT_EQ(control::render_stats(r, false), format_report(r));
  EXPECT_EQ(control::render_stats(r, true),
            "[{\"group\":\"tcp\",\"counters\":[{\"name\":\"segments received\",\"value\":12},"
            "{\"name\":\"odd \\\"label\\\"\",\"value\":0}]},{\"group\":\"link tun(tun0)\","
            "\"counters\":[{\"name\":\"rx packets\",\"value\":3}]}]\n");
}

TEST(Render, HelpListsTheCommands) {
  const std::string text = control::render_help(false);
  for (const char* c : {"connections", "stats", "listeners", "help", "--json"})
    EXPECT_NE(text.find(c), std::string::npos) << c;
  const std::string j = control::render_help(true);
  EXPECT_EQ(j.rfind("{\"commands\":[{\"name\":\"connections\"", 0), 0u) << j;
}

}  // namespace
}  // namespace tundra::app
