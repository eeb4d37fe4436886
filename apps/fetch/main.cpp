// tundra-fetch: an HTTP/1.1 client (a small curl) on tundra. With -v it shows the seven steps a
// browser takes for a URL — host name, resolve, port, TCP connect, send request, read response,
// close connection — as they happen, with the connection's 4-tuple and the time of each.
// Exit codes (exit_codes.hpp): 0 ok, 1 could not start, 2 usage, 3 bad URL, 4 resolve failed,
// 5 refused, 6 timed out, 7 reset or malformed response, 8 HTTP error with --fail, 9 too many
// redirects, 10 write error.
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "apps/common/options.hpp"
#include "apps/common/resolver.hpp"
#include "apps/common/runtime.hpp"
#include "apps/common/version.hpp"
#include "apps/fetch/exit_codes.hpp"
#include "apps/fetch/output.hpp"
#include "apps/fetch/redirect.hpp"
#include "apps/fetch/request.hpp"
#include "apps/fetch/session.hpp"
#include "apps/fetch/steps.hpp"

namespace {

namespace app = tundra::app;
namespace fetch = tundra::fetch;
namespace http = tundra::http;
using fetch::SteadyClock;

struct Args {
  std::string url;
  bool verbose = false;
  bool head = false;
  std::string data;
  bool data_given = false;
  std::vector<std::string> headers;
  bool location = false;
  int max_redirs = 10;
  std::string output;
  bool fail = false;
  double max_time = 0;
  double connect_timeout = 0;
  std::string dns;
  std::vector<std::string> resolve;
  bool silent = false;
};

// One line "tundra-fetch: error: MESSAGE" and the code.
int error(int code, const std::string& message) {
  fmt::print(stderr, "tundra-fetch: error: {}\n", message);
  return code;
}

// A URL we can fetch: http only (RFC 9110 4.2.2: https needs TLS, which tundra has not).
std::optional<std::string> check_url(const std::string& text, http::Url& out) {
  auto url = http::Url::parse(text);
  if (!url) return fmt::format("bad URL '{}': {}", text, http::to_string(url.error()));
  if (url->scheme == "https") return fmt::format("bad URL '{}': https is not supported", text);
  out = *url;
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"tundra-fetch: fetch a URL over HTTP/1.1 through tundra; -v shows the seven steps",
               "tundra-fetch"};
  app::CommonOptions common;
  app::add_common_options(cli, common);
  Args a;
  const char* http_group = "HTTP";
  cli.add_option("URL", a.url, "http:// URL to fetch")->required();
  cli.add_flag("-v,--verbose", a.verbose,
               "show the seven steps, the request (> ) and response (< ) heads and times on "
               "stderr")
      ->group(http_group);
  cli.add_flag("-I,--head", a.head, "send HEAD and print the response head")->group(http_group);
  cli.add_option("-d,--data", a.data,
                 "POST this body (@FILE: the file's bytes); Content-Type "
                 "application/x-www-form-urlencoded unless -H gives one")
      ->group(http_group);
  cli.add_option("-H,--header", a.headers, "extra request field \"Name: value\" (repeatable)")
      ->allow_extra_args(false)  // one value per -H, so a URL after it stays the URL
      ->group(http_group);
  cli.add_flag("-L,--location", a.location, "follow redirects (301, 302, 303, 307, 308)")
      ->group(http_group);
  cli.add_option("--max-redirs", a.max_redirs, "redirects -L follows at most")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000))
      ->group(http_group);
  cli.add_option("-o,--output", a.output, "write the body to FILE instead of stdout")
      ->group(http_group);
  cli.add_flag("--fail", a.fail, "HTTP status >= 400: write nothing, exit 8")->group(http_group);
  cli.add_option("--max-time", a.max_time, "give up after this many seconds in all (exit 6)")
      ->check(CLI::Range(0.001, 86400.0))
      ->group(http_group);
  cli.add_option("--connect-timeout", a.connect_timeout,
                 "give up connecting after this many seconds (exit 6)")
      ->check(CLI::Range(0.001, 86400.0))
      ->group(http_group);
  cli.add_option("--dns", a.dns, "DNS server to ask (A.B.C.D) instead of resolv.conf's")
      ->group(http_group);
  cli.add_option("--resolve", a.resolve, "HOST:ADDR: use ADDR for HOST, asking no one (repeatable)")
      ->allow_extra_args(false)
      ->group(http_group);
  cli.add_flag("-s,--silent", a.silent, "no progress line")->group(http_group);
  cli.footer(fetch::exit_codes_help());
  if (auto code = app::parse(cli, common, argc, argv)) return *code;
  a.data_given = cli.count("--data") > 0;

  // Everything that can be wrong with the command line is found before the device is opened,
  // so that it is reported the same way with or without root.
  fetch::RequestSpec spec;
  if (auto bad = check_url(a.url, spec.url)) return error(fetch::kExitBadUrl, *bad);
  for (const auto& text : a.headers) {
    auto h = fetch::parse_header_option(text);
    if (!h) return app::usage_error(cli, fmt::format("-H: '{}' is not \"Name: value\"", text));
    spec.headers.push_back(*h);
  }
  if (a.head && a.data_given) return app::usage_error(cli, "-I and -d exclude each other");
  if (a.data_given) {
    if (!a.data.empty() && a.data[0] == '@') {
      std::ifstream in(a.data.substr(1), std::ios::binary);
      if (!in) return app::usage_error(cli, fmt::format("-d: cannot read '{}'", a.data.substr(1)));
      std::ostringstream body;
      body << in.rdbuf();
      spec.body = body.str();
    } else {
      spec.body = a.data;
    }
    spec.method = "POST";
  }
  if (a.head) spec.method = "HEAD";
  app::ResolverOptions resolver;
  if (!a.dns.empty()) {
    resolver.nameserver = tundra::wire::ipv4::Address::parse(a.dns);
    if (!resolver.nameserver)
      return app::usage_error(cli, fmt::format("--dns: '{}' is not an IPv4 address", a.dns));
  }
  for (const auto& text : a.resolve) {
    const size_t colon = text.rfind(':');
    auto addr = colon == std::string::npos
                    ? std::nullopt
                    : tundra::wire::ipv4::Address::parse(std::string_view(text).substr(colon + 1));
    if (!addr || colon == 0)
      return app::usage_error(cli, fmt::format("--resolve: '{}' is not HOST:ADDR", text));
    resolver.overrides.emplace_back(text.substr(0, colon), *addr);
  }

  // A closed stdout pipe is a write error (exit 10), not a silent death by SIGPIPE.
  signal(SIGPIPE, SIG_IGN);
  std::unique_ptr<app::Runtime> rt;
  try {
    rt = std::make_unique<app::Runtime>(common);
    rt->set_counters_at_exit(false);
    rt->start();
  } catch (const std::exception& e) {
    return error(fetch::kExitStart, e.what());
  }

  const auto start = SteadyClock::now();
  fetch::HopOptions o;
  o.request = &spec;
  o.resolver = &resolver;
  o.max_time_s = a.max_time;
  if (a.max_time > 0)
    o.deadline = start + std::chrono::duration_cast<SteadyClock::duration>(
                             std::chrono::duration<double>(a.max_time));
  resolver.deadline = o.deadline;  // a DNS server that does not answer counts against --max-time
  if (a.connect_timeout > 0)
    o.connect_timeout = std::chrono::duration_cast<SteadyClock::duration>(
        std::chrono::duration<double>(a.connect_timeout));
  o.follow_redirects = a.location;
  o.fail_on_error = a.fail;
  o.write_head = a.head;
  o.progress = !a.silent && isatty(STDERR_FILENO);
  o.user_agent = fmt::format("tundra-fetch/{}", app::version());
  const fetch::StepPrinter printer(a.verbose);
  fetch::Output output(a.output);

  int redirects = 0;
  fetch::HopResult hop;
  while (true) {
    hop = fetch::run_hop(rt->sockets(), o, printer, output);
    if (hop.exit_code != fetch::kExitOk) return error(hop.exit_code, hop.error);
    if (!hop.stopped) break;
    if (a.fail && hop.head.status >= 400)
      return error(fetch::kExitHttpError, fmt::format("{} answered {} {}", spec.url.to_string(),
                                                      hop.head.status, hop.head.reason));
    // A redirect to follow (-L).
    if (redirects >= a.max_redirs)
      return error(fetch::kExitTooManyRedirects,
                   fmt::format("too many redirects: {} followed (--max-redirs {}), {} answered {}",
                               redirects, a.max_redirs, spec.url.to_string(), hop.head.status));
    const std::string location = hop.head.find("Location")->value;
    auto next = http::Url::resolve(spec.url, location);
    if (!next)
      return error(fetch::kExitBadUrl,
                   fmt::format("bad Location '{}': {}", location, http::to_string(next.error())));
    if (next->scheme == "https")
      return error(fetch::kExitBadUrl,
                   fmt::format("redirected to {}: https is not supported", next->to_string()));
    const fetch::NextRequest n = fetch::after_redirect(hop.head.status, spec.method);
    ++redirects;
    printer.raw(fmt::format("* redirect {}: {} {} -> {} {}\n", redirects, hop.head.status,
                            spec.method, n.method, next->to_string()));
    spec.method = n.method;
    if (!n.keep_body) spec.body.reset();
    spec.url = *next;
  }
  if (!output.close()) return error(fetch::kExitWrite, output.error());

  const auto total = SteadyClock::now() - start;
  const auto& t = hop.times;
  printer.raw(fmt::format(
      "* summary: {} {}, {} bytes; dns {}, connect {}, ttfb {}, transfer {}, total {}; {}\n",
      hop.head.status, hop.head.reason, hop.body_bytes, fetch::format_ms(t.dns),
      fetch::format_ms(t.connect), fetch::format_ms(t.ttfb), fetch::format_ms(t.transfer),
      fetch::format_ms(total), fetch::format_rate(hop.body_bytes, t.transfer)));
  return fetch::kExitOk;
}
