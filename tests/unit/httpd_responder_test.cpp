// tundra-httpd's responder on a real directory: methods, files, HEAD, conditional requests,
// ranges, directory redirects, indexes and listings, symlinks out of the root, error pages.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "apps/httpd/file_cache.hpp"
#include "apps/httpd/mime.hpp"
#include "apps/httpd/responder.hpp"
#include "stack/http/date.hpp"

namespace tundra::httpd {
namespace {

namespace fs = std::filesystem;

constexpr std::time_t kNow = 2000000000;
constexpr std::time_t kMtime = 1700000000;

class Responder_ : public ::testing::Test {
 protected:
  Responder_() {
    char tmpl[] = "/tmp/httpd-responder-XXXXXX";
    base_ = mkdtemp(tmpl);
    root_ = base_ + "/root";
    fs::create_directories(root_ + "/sub/empty");
    fs::create_directories(root_ + "/site");
    write(root_ + "/hello.txt", "hello, world\n");
    write(root_ + "/site/index.html", "<p>index</p>");
    write(root_ + "/sub/a&b.txt", "x");
    write(root_ + "/empty.bin", "");
    write(base_ + "/secret.txt", "outside");
    fs::create_symlink(base_ + "/secret.txt", root_ + "/leak.txt");
    fs::create_symlink(base_, root_ + "/leakdir");
    fs::create_symlink(root_ + "/hello.txt", root_ + "/alias.txt");  // inside: fine
    config_.root = fs::canonical(root_).string();
  }
  ~Responder_() override { fs::remove_all(base_); }

  static void write(const std::string& path, const std::string& data) {
    std::ofstream(path, std::ios::binary) << data;
    timespec times[2] = {{kMtime, 0}, {kMtime, 0}};
    utimensat(AT_FDCWD, path.c_str(), times, 0);
  }

  Response get(std::string target, std::vector<http::Field> fields = {},
               std::string method = "GET") {
    Responder responder(config_);
    return ask(responder, std::move(target), std::move(fields), std::move(method));
  }
  // The same through one responder, whose open-file cache lives across requests.
  static Response ask(const Responder& responder, std::string target,
                      std::vector<http::Field> fields = {}, std::string method = "GET",
                      std::time_t now = kNow) {
    http::Message m;
    m.method = std::move(method);
    m.target = std::move(target);
    m.fields = std::move(fields);
    m.fields.push_back({"Host", "x"});
    return responder.respond(m, now, false);
  }
  // The file body's bytes, read as the server would.
  static std::string body(Response& r) {
    if (!r.file.active()) return r.body;
    std::string out(r.file.remaining(), '\0');
    EXPECT_EQ(r.file.peek(std::span<char>(out.data(), out.size())),
              static_cast<ssize_t>(out.size()));
    return out;
  }
  static std::string body(Response&& r) { return body(r); }
  static bool has(const Response& r, std::string_view line) {
    return r.head.find(std::string(line) + "\r\n") != std::string::npos;
  }

  std::string base_, root_;
  ServerConfig config_;
};

TEST_F(Responder_, ServesAFile) {
  Response r = get("/hello.txt");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.head.substr(0, 17), "HTTP/1.1 200 OK\r\n");
  EXPECT_TRUE(has(r, "Content-Type: text/plain; charset=utf-8"));
  EXPECT_TRUE(has(r, "Content-Length: 13"));
  EXPECT_TRUE(has(r, "Last-Modified: " + http::format_http_date(kMtime)));
  EXPECT_TRUE(has(r, "Date: " + http::format_http_date(kNow)));
  EXPECT_TRUE(has(r, "Accept-Ranges: bytes"));
  EXPECT_EQ(r.body_bytes, 13u);
  EXPECT_EQ(body(r), "hello, world\n");
  EXPECT_EQ(r.head.substr(r.head.size() - 4), "\r\n\r\n");
}

TEST_F(Responder_, HeadHasTheFieldsButNoBody) {
  Response r = get("/hello.txt", {}, "HEAD");
  EXPECT_EQ(r.status, 200u);
  EXPECT_TRUE(has(r, "Content-Length: 13"));
  EXPECT_EQ(r.body_bytes, 0u);
  EXPECT_FALSE(r.file.active());
}

TEST_F(Responder_, EmptyFile) {
  Response r = get("/empty.bin");
  EXPECT_EQ(r.status, 200u);
  EXPECT_TRUE(has(r, "Content-Length: 0"));
  EXPECT_EQ(r.body_bytes, 0u);
}

TEST_F(Responder_, Methods) {
  Response post = get("/hello.txt", {}, "POST");
  EXPECT_EQ(post.status, 405u);
  EXPECT_TRUE(has(post, "Allow: GET, HEAD"));
  EXPECT_EQ(get("/hello.txt", {}, "DELETE").status, 405u);
  EXPECT_EQ(get("/hello.txt", {}, "BREW").status, 501u);
}

TEST_F(Responder_, NotModified) {
  Response r = get("/hello.txt", {{"If-Modified-Since", http::format_http_date(kMtime)}});
  EXPECT_EQ(r.status, 304u);
  EXPECT_EQ(r.head.find("Content-Length"), std::string::npos);
  EXPECT_EQ(r.body_bytes, 0u);
  EXPECT_EQ(get("/hello.txt", {{"If-Modified-Since", http::format_http_date(kMtime - 1)}}).status,
            200u);
  EXPECT_EQ(get("/hello.txt", {{"If-Modified-Since", "garbage"}}).status, 200u);
}

TEST_F(Responder_, EntityTags) {
  Response first = get("/hello.txt");
  const size_t at = first.head.find("ETag: ");
  ASSERT_NE(at, std::string::npos);
  const std::string etag = first.head.substr(at + 6, first.head.find("\r\n", at) - at - 6);
  EXPECT_EQ(get("/hello.txt", {{"If-None-Match", etag}}).status, 304u);
  EXPECT_EQ(get("/hello.txt", {{"If-None-Match", "\"other\", W/" + etag}}).status, 304u);
  EXPECT_EQ(get("/hello.txt", {{"If-None-Match", "\"other\""}}).status, 200u);
  // RFC 9110 13.1.3: If-Modified-Since is ignored when If-None-Match is present.
  EXPECT_EQ(get("/hello.txt", {{"If-None-Match", "\"other\""},
                               {"If-Modified-Since", http::format_http_date(kNow)}})
                .status,
            200u);
  // If-Range with the current tag applies the range; with another, the whole file.
  EXPECT_EQ(get("/hello.txt", {{"Range", "bytes=0-4"}, {"If-Range", etag}}).status, 206u);
  EXPECT_EQ(get("/hello.txt", {{"Range", "bytes=0-4"}, {"If-Range", "\"old\""}}).status, 200u);
  EXPECT_EQ(
      get("/hello.txt", {{"Range", "bytes=0-4"}, {"If-Range", http::format_http_date(kMtime)}})
          .status,
      206u);
}

TEST_F(Responder_, Ranges) {
  Response r = get("/hello.txt", {{"Range", "bytes=0-4"}});
  EXPECT_EQ(r.status, 206u);
  EXPECT_TRUE(has(r, "Content-Range: bytes 0-4/13"));
  EXPECT_TRUE(has(r, "Content-Length: 5"));
  EXPECT_EQ(body(r), "hello");
  Response tail = get("/hello.txt", {{"Range", "bytes=-6"}});
  EXPECT_EQ(body(tail), "world\n");
  Response from = get("/hello.txt", {{"Range", "bytes=7-"}});
  EXPECT_EQ(body(from), "world\n");
  Response beyond = get("/hello.txt", {{"Range", "bytes=13-"}});
  EXPECT_EQ(beyond.status, 416u);
  EXPECT_TRUE(has(beyond, "Content-Range: bytes */13"));
  EXPECT_EQ(get("/hello.txt", {{"Range", "bytes=0-1,4-5"}}).status, 200u);  // several: all
  EXPECT_EQ(get("/hello.txt", {{"Range", "lines=1-2"}}).status, 200u);
  EXPECT_EQ(get("/hello.txt", {{"Range", "bytes=0-4"}}, "HEAD").status, 200u);  // GET only
}

TEST_F(Responder_, Directories) {
  Response redirect = get("/sub?x=1");
  EXPECT_EQ(redirect.status, 301u);
  EXPECT_TRUE(has(redirect, "Location: /sub/?x=1"));
  Response index = get("/site/");
  EXPECT_EQ(index.status, 200u);
  EXPECT_EQ(body(index), "<p>index</p>");
  Response listing = get("/sub/");
  EXPECT_EQ(listing.status, 200u);
  EXPECT_NE(listing.body.find("href=\"a%26b.txt\">a&amp;b.txt</a>"), std::string::npos);
  EXPECT_NE(listing.body.find("href=\"empty/\""), std::string::npos);
  config_.listing = false;
  EXPECT_EQ(get("/sub/").status, 403u);
  EXPECT_EQ(get("/site/").status, 200u);  // the index still is served
}

TEST_F(Responder_, NothingOutsideTheRoot) {
  EXPECT_EQ(get("/leak.txt").status, 404u);
  EXPECT_EQ(get("/leakdir/secret.txt").status, 404u);
  EXPECT_EQ(get("/leakdir/").status, 404u);
  EXPECT_EQ(get("/../secret.txt").status, 400u);
  EXPECT_EQ(get("/%2e%2e/secret.txt").status, 400u);
  EXPECT_EQ(get("/sub/%2E%2e/%2e%2E/secret.txt").status, 400u);
  EXPECT_EQ(get("/sub/..%2fsecret.txt").status, 400u);
  EXPECT_EQ(get("/alias.txt").status, 200u);  // a link that stays inside is fine
  EXPECT_EQ(get("/missing").status, 404u);
  EXPECT_EQ(get("/hello.txt/").status, 404u);
}

TEST_F(Responder_, ErrorPagesAndConnectionFields) {
  Responder responder(config_);
  Response e = responder.error(404, "<b>", kNow, true);
  EXPECT_EQ(e.head.substr(0, 24), "HTTP/1.1 404 Not Found\r\n");
  EXPECT_TRUE(has(e, "Connection: close"));
  EXPECT_TRUE(has(e, "Content-Length: " + std::to_string(e.body.size())));
  EXPECT_NE(e.body.find("&lt;b&gt;"), std::string::npos);
  Response v10 = responder.error(404, "x", kNow, false, 0);
  EXPECT_TRUE(has(v10, "Connection: keep-alive"));  // RFC 9112 C.2.2
  Response head = responder.error(404, "x", kNow, false, 1, true);
  EXPECT_EQ(head.body_bytes, 0u);
  EXPECT_TRUE(head.body.empty());
}

// The open-file cache: a file served again costs one fstatat, and whatever happens to the file
// between two requests is seen by the second.
TEST_F(Responder_, ASecondRequestIsServedFromTheCache) {
  Responder responder(config_);
  Response first = ask(responder, "/hello.txt");
  Response second = ask(responder, "/hello.txt");
  EXPECT_EQ(responder.file_cache().misses(), 1u);
  EXPECT_EQ(responder.file_cache().hits(), 1u);
  EXPECT_EQ(second.head, first.head);
  EXPECT_EQ(body(second), "hello, world\n");
  // Small files come from memory; ranges and conditions work on them as on the file.
  EXPECT_FALSE(second.file.active());
  Response range = ask(responder, "/hello.txt", {{"Range", "bytes=7-11"}});
  EXPECT_EQ(range.status, 206u);
  EXPECT_EQ(body(range), "world");
  const size_t at = first.head.find("ETag: ");
  const std::string etag = first.head.substr(at + 6, first.head.find("\r\n", at) - at - 6);
  EXPECT_EQ(ask(responder, "/hello.txt", {{"If-None-Match", etag}}).status, 304u);
  EXPECT_EQ(responder.file_cache().hits(), 3u);
}

TEST_F(Responder_, AFileReplacedOrRewrittenIsServedNew) {
  Responder responder(config_);
  ASSERT_EQ(body(ask(responder, "/hello.txt")), "hello, world\n");
  // Replaced the way editors and deployments do it: a new file renamed over the old one, here
  // with the same size and modification time.
  write(root_ + "/new.tmp", "HELLO, WORLD\n");
  fs::rename(root_ + "/new.tmp", root_ + "/hello.txt");
  Response r = ask(responder, "/hello.txt");
  EXPECT_EQ(body(r), "HELLO, WORLD\n");
  EXPECT_EQ(responder.file_cache().stale(), 1u);
  // Rewritten in place, same size: the modification time moves.
  {
    std::ofstream(root_ + "/hello.txt", std::ios::binary) << "howdy, world\n";
    timespec times[2] = {{kMtime + 1, 0}, {kMtime + 1, 0}};
    utimensat(AT_FDCWD, (root_ + "/hello.txt").c_str(), times, 0);
  }
  EXPECT_EQ(body(ask(responder, "/hello.txt")), "howdy, world\n");
  // Grown in place.
  std::ofstream(root_ + "/hello.txt", std::ios::binary | std::ios::app) << "more\n";
  EXPECT_EQ(body(ask(responder, "/hello.txt")), "howdy, world\nmore\n");
  EXPECT_EQ(responder.file_cache().stale(), 3u);
}

TEST_F(Responder_, ARemovedFileOrOneTurnedIntoALinkIsNotServedFromTheCache) {
  Responder responder(config_);
  ASSERT_EQ(ask(responder, "/hello.txt").status, 200u);
  ASSERT_EQ(ask(responder, "/sub/a&b.txt").status, 200u);
  fs::remove(root_ + "/hello.txt");
  EXPECT_EQ(ask(responder, "/hello.txt").status, 404u);
  // A link out of the root in the file's place: the cached file must not stand in for it, nor
  // the link be followed out.
  fs::remove(root_ + "/sub/a&b.txt");
  fs::create_symlink(base_ + "/secret.txt", root_ + "/sub/a&b.txt");
  Response r = ask(responder, "/sub/a&b.txt");
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(body(r).find("outside"), std::string::npos);
  EXPECT_EQ(responder.file_cache().hits(), 0u);
  EXPECT_EQ(responder.file_cache().size(), 0u);
}

TEST_F(Responder_, AFileChangedAMomentAgoIsNotCached) {
  // Within the file system's timestamp granularity a second write may leave every time as it
  // was; such a file is opened afresh until it has been still for a while.
  Responder responder(config_);
  struct stat st {};
  ASSERT_EQ(stat((root_ + "/hello.txt").c_str(), &st), 0);
  const std::time_t just_after = st.st_ctime + 1;
  ask(responder, "/hello.txt", {}, "GET", just_after);
  ask(responder, "/hello.txt", {}, "GET", just_after);
  EXPECT_EQ(responder.file_cache().hits(), 0u);
  EXPECT_EQ(responder.file_cache().size(), 0u);
  ask(responder, "/hello.txt", {}, "GET", st.st_ctime + FileCache::kRacySeconds);
  EXPECT_EQ(responder.file_cache().size(), 1u);
}

TEST_F(Responder_, ALargeFileIsStreamedFromOneSharedDescriptor) {
  std::string big(3 * FileCache::kContentMax, '\0');
  for (size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>('a' + i % 26);
  write(root_ + "/big.bin", big);
  Responder responder(config_);
  Response a = ask(responder, "/big.bin");
  Response b = ask(responder, "/big.bin", {{"Range", "bytes=100-199"}});
  EXPECT_EQ(responder.file_cache().hits(), 1u);
  ASSERT_TRUE(a.file.active());
  // Each response reads at its own offset, and outlives the cache's entry.
  a.file.advance(50);
  EXPECT_EQ(body(b), big.substr(100, 100));
  fs::remove(root_ + "/big.bin");
  EXPECT_EQ(ask(responder, "/big.bin").status, 404u);
  EXPECT_EQ(body(a), big.substr(50));
}

TEST(FileCache, KeepsTheMostRecentlyUsedEntries) {
  char tmpl[] = "/tmp/httpd-cache-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const int root = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(root, 0);
  FileCache cache(2);
  for (const char* name : {"a", "b", "c"}) {
    const std::string path = dir + "/" + name;
    std::ofstream(path) << name;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    ASSERT_EQ(fstat(fd, &st), 0);
    cache.insert(name, describe_file(fd, st, path), st.st_ctime + FileCache::kRacySeconds);
    if (std::string(name) == "b") {
      EXPECT_NE(cache.find(root, "a"), nullptr);  // a is used
    }
  }
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.find(root, "b"), nullptr);  // the least recently used made room for c
  ASSERT_NE(cache.find(root, "a"), nullptr);
  ASSERT_NE(cache.find(root, "c"), nullptr);
  EXPECT_EQ(*cache.find(root, "c")->content, "c");
  EXPECT_EQ(cache.find(root, "c")->content_type, mime_type("c"));
  ::close(root);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tundra::httpd
