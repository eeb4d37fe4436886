// tundra-httpd: an HTTP/1.1 static file server (RFC 9110, RFC 9112) on tundra over a TUN device,
// serving a directory to many clients at once from one thread through the socket facade.
#include <fmt/format.h>
#include <sys/stat.h>

#include <climits>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <thread>

#include "apps/common/byte_size.hpp"
#include "apps/common/options.hpp"
#include "apps/common/runtime.hpp"
#include "apps/httpd/access_log.hpp"
#include "apps/httpd/config.hpp"
#include "apps/httpd/server.hpp"

#ifndef TUNDRA_HTTPD_SITE
#define TUNDRA_HTTPD_SITE "."
#endif

namespace {

std::chrono::milliseconds millis(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000.0));
}

}  // namespace

int main(int argc, char** argv) {
  tundra::app::Runtime::block_signals();
  CLI::App app{"tundra-httpd: an HTTP/1.1 static file server over tundra", "tundra-httpd"};
  tundra::app::CommonOptions common;
  tundra::app::add_common_options(app, common);
  tundra::httpd::ServerConfig cfg;
  std::string root = TUNDRA_HTTPD_SITE;
  double idle_s = 15, header_s = 10, send_s = 30;
  std::string max_body_text = "1MiB";
  std::string access_log = "-";
  bool no_listing = false;
  app.add_option("--root", root, "directory to serve (default: the bundled sample site)");
  app.add_option("--port", cfg.port, "TCP port to listen on")->capture_default_str();
  app.add_option("--index", cfg.index, "file served for a directory")->capture_default_str();
  app.add_flag("--no-listing", no_listing, "answer 403 for a directory without an index");
  app.add_option("--idle-timeout", idle_s, "seconds a keep-alive connection may idle")
      ->capture_default_str();
  app.add_option("--header-timeout", header_s, "seconds for a whole request head to arrive")
      ->capture_default_str();
  app.add_option("--send-timeout", send_s, "seconds without the peer taking any response byte")
      ->capture_default_str();
  app.add_option("--max-connections", cfg.max_connections,
                 "clients served at once; more get 503 and are closed")
      ->capture_default_str();
  app.add_option("--max-body", max_body_text, "largest request body read (and dropped); 413 above")
      ->capture_default_str();
  app.add_option("--access-log", access_log, "FILE, - (stdout) or none")->capture_default_str();
  if (auto code = tundra::app::parse(app, common, argc, argv)) return *code;

  if (cfg.port == 0) return tundra::app::usage_error(app, "--port must be 1-65535");
  if (idle_s <= 0 || header_s <= 0 || send_s <= 0)
    return tundra::app::usage_error(app, "timeouts must be positive");
  if (cfg.max_connections == 0)
    return tundra::app::usage_error(app, "--max-connections must be at least 1");
  const auto max_body = tundra::app::parse_byte_size(max_body_text);
  if (!max_body) return tundra::app::usage_error(app, "--max-body: not a size: " + max_body_text);
  if (cfg.index.find('/') != std::string::npos || cfg.index == "." || cfg.index == "..")
    return tundra::app::usage_error(app, "--index must be a file name");
  char resolved[PATH_MAX];
  if (!realpath(root.c_str(), resolved))
    return tundra::app::usage_error(app, fmt::format("--root {}: {}", root, std::strerror(errno)));
  struct stat root_stat {};
  if (stat(resolved, &root_stat) != 0 || !S_ISDIR(root_stat.st_mode))
    return tundra::app::usage_error(app, fmt::format("--root {}: not a directory", root));
  cfg.root = resolved;
  cfg.listing = !no_listing;
  cfg.idle_timeout = millis(idle_s);
  cfg.header_timeout = millis(header_s);
  cfg.send_timeout = millis(send_s);
  cfg.max_body = *max_body;
  try {
    cfg.access_log = tundra::httpd::make_access_log(access_log);
  } catch (const std::exception& e) {
    return tundra::app::usage_error(app, fmt::format("--access-log {}: {}", access_log, e.what()));
  }

  std::unique_ptr<tundra::app::Runtime> rt;
  std::unique_ptr<tundra::httpd::Server> server;
  std::thread thread;
  try {
    rt = std::make_unique<tundra::app::Runtime>(common);
    server = std::make_unique<tundra::httpd::Server>(rt->sockets(), cfg);
    rt->start();
    thread = std::thread([&server] { server->run(); });
  } catch (const std::exception& e) {
    fmt::print(stderr, "tundra-httpd: {}\n", e.what());
    return tundra::app::kExitFailure;
  }
  fmt::print(stderr, "tundra-httpd: serving {} at http://{}:{}/ on {} (mtu {}); Ctrl-C stops\n",
             cfg.root, common.addr.address.to_string(), cfg.port, rt->link_description(),
             rt->stack().ipv4().mtu());
  std::fflush(stderr);

  rt->wait_for_stop_signal([&server] {
    fmt::print(stderr, "{}", tundra::format_report({server->counters()}));
    std::fflush(stderr);
  });
  rt->stop();
  thread.join();
  fmt::print(stderr, "{}", tundra::format_report({server->counters()}));
  server.reset();
  return tundra::app::kExitOk;
}
