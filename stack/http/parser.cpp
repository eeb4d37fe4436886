// Incremental HTTP/1.1 parser (RFC 9112): line collection, start line, fields, and body framing
// (RFC 9112 6.3). Called by whoever reads bytes off a connection: the HTTP client and server.
#include "stack/http/parser.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#include "stack/http/chars.hpp"

namespace tundra::http {

namespace {

// RFC 9112 2.3: HTTP-version = "HTTP" "/" DIGIT "." DIGIT (case-sensitive). Returns 0 when it is
// HTTP/1.0 or HTTP/1.1, 505 for a well-formed other version, 400 for anything else.
unsigned parse_version(std::string_view v, unsigned& minor) {
  if (v.size() != 8 || v.substr(0, 5) != "HTTP/" || !is_digit(v[5]) || v[6] != '.' ||
      !is_digit(v[7]))
    return 400;
  if (v[5] != '1' || v[7] > '1') return 505;
  minor = static_cast<unsigned>(v[7] - '0');
  return 0;
}

// RFC 9112 3.2: the request target has no whitespace or controls; we accept any visible ASCII
// and leave the form (origin, absolute, authority, asterisk) to the caller.
bool valid_target(std::string_view t) {
  if (t.empty()) return false;
  for (char c : t)
    if (c <= 0x20 || c >= 0x7F) return false;
  return true;
}

bool valid_field_value(std::string_view v) {
  return std::all_of(v.begin(), v.end(), is_field_value_char);
}

// Calls `fn` with each non-empty element of a comma-separated list (RFC 9110 5.6.1: empty
// elements are ignored); stops early when `fn` returns false.
template <typename Fn>
bool for_each_item(std::string_view list, Fn fn) {
  while (true) {
    size_t comma = list.find(',');
    std::string_view item = trim_ows(list.substr(0, comma));
    if (!item.empty() && !fn(item)) return false;
    if (comma == std::string_view::npos) return true;
    list.remove_prefix(comma + 1);
  }
}

bool parse_decimal(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (!is_digit(c)) return false;
    auto d = static_cast<uint64_t>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

}  // namespace

Parser::Parser(Role role, Limits limits) : role_(role), limits_(limits) {}

void Parser::reset() {
  msg_ = Message{};
  line_.clear();
  section_bytes_ = 0;
  empty_lines_ = 0;
  remaining_ = 0;
  body_bytes_ = 0;
  dropped_trailers_.clear();
}

Step Parser::fail(size_t consumed, unsigned status, std::string_view what) {
  state_ = State::error;
  error_ = Error{status, what};
  return Step{Event::error, consumed, {}, error_};
}

size_t Parser::line_limit() const {
  switch (state_) {
    case State::start_line:
      return limits_.max_start_line + 2;  // + CRLF
    case State::fields:
    case State::trailers:
      return limits_.max_header_bytes - std::min(section_bytes_, limits_.max_header_bytes);
    case State::chunk_size:
      return limits_.max_chunk_line + 2;
    default:
      return 2;  // chunk_data_end: just CRLF
  }
}

Step Parser::overflow(size_t used) {
  switch (state_) {
    case State::start_line: {
      // RFC 9112 3: a request target longer than we parse is 414; any other long line is 400.
      // The target is to blame when it is longer than the method and what follows it is no
      // longer than "HTTP/1.1" CRLF.
      if (role_ == Role::request) {
        size_t sp1 = line_.find(' ');
        if (sp1 != std::string::npos) {
          size_t sp2 = line_.find(' ', sp1 + 1);
          size_t target_end = sp2 == std::string::npos ? line_.size() : sp2;
          size_t tail = sp2 == std::string::npos ? 0 : line_.size() - sp2 - 1;
          if (target_end - sp1 - 1 > sp1 && tail <= 10)
            return fail(used, 414, "request target too long");
        }
      }
      return fail(used, 400, "start line too long");
    }
    case State::fields:
    case State::trailers:
      return fail(used, 431, "field section too large");
    case State::chunk_size:
      return fail(used, 400, "chunk size line too long");
    default:
      return fail(used, 400, "chunk data not followed by CRLF");
  }
}

// Appends bytes up to and including the next LF to line_. True when the line is complete; false
// with `failure` set to an error, or with failure.event == need_more when the input ran out.
bool Parser::take_line(std::span<const char> in, size_t& used, Step& failure) {
  std::span<const char> rest = in.subspan(used);
  const void* nl = rest.empty() ? nullptr : std::memchr(rest.data(), '\n', rest.size());
  size_t n = nl ? static_cast<size_t>(static_cast<const char*>(nl) - rest.data()) + 1 : rest.size();
  size_t limit = line_limit();
  if (line_.size() + n > limit) {
    size_t fits = limit > line_.size() ? limit - line_.size() : 0;
    line_.append(rest.data(), fits);
    failure = overflow(used + fits);
    return false;
  }
  line_.append(rest.data(), n);
  used += n;
  failure = Step{Event::need_more, used, {}, {}};
  return nl != nullptr;
}

Step Parser::feed(std::span<const char> in) {
  if (state_ == State::error) return Step{Event::error, 0, {}, error_};
  if (state_ == State::done) {
    reset();
    state_ = State::start_line;
  }
  size_t used = 0;
  while (true) {
    switch (state_) {
      case State::start_line:
      case State::fields:
      case State::chunk_size:
      case State::chunk_data_end:
      case State::trailers: {
        Step failure;
        if (!take_line(in, used, failure)) return failure;
        Step s = on_line(used);
        line_.clear();
        if (s.event != Event::need_more) return s;
        break;
      }
      case State::body_fixed: {
        Step s = body_piece(in, used, remaining_);
        if (remaining_ == 0) state_ = State::message_end;
        return s;
      }
      case State::chunk_data: {
        Step s = body_piece(in, used, remaining_);
        if (remaining_ == 0) state_ = State::chunk_data_end;
        return s;
      }
      case State::body_until_close: {
        size_t avail = in.size() - used;
        if (avail == 0) return Step{Event::need_more, used, {}, {}};
        // Deliver what fits under the limit, then fail: the outcome does not depend on how the
        // bytes were split.
        auto n = static_cast<size_t>(std::min<uint64_t>(avail, limits_.max_body - body_bytes_));
        if (n == 0) return fail(used, 413, "body too large");
        body_bytes_ += n;
        return Step{Event::body, used + n, in.subspan(used, n), {}};
      }
      case State::message_end:
        state_ = State::done;
        return Step{Event::done, used, {}, {}};
      case State::done:
      case State::error:
        return Step{Event::error, used, {}, error_};  // not reached: handled above
    }
  }
}

Step Parser::body_piece(std::span<const char> in, size_t used, uint64_t& remaining) {
  size_t avail = in.size() - used;
  if (avail == 0) return Step{Event::need_more, used, {}, {}};
  size_t n = static_cast<size_t>(std::min<uint64_t>(remaining, avail));
  remaining -= n;
  return Step{Event::body, used + n, in.subspan(used, n), {}};
}

Step Parser::finish() {
  switch (state_) {
    case State::error:
      return Step{Event::error, 0, {}, error_};
    case State::body_until_close:
    case State::message_end:
      state_ = State::done;
      return Step{Event::done, 0, {}, {}};
    case State::done:
      return Step{Event::need_more, 0, {}, {}};
    case State::start_line:
      if (line_.empty()) return Step{Event::need_more, 0, {}, {}};
      [[fallthrough]];
    default:
      return fail(0, 400, "connection closed in the middle of a message");
  }
}

Step Parser::on_line(size_t used) {
  // RFC 9112 2.2: lines end in CRLF; a bare LF is accepted as a terminator, a bare CR is not.
  std::string_view line = line_;
  line.remove_suffix(1);  // the LF
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.find('\r') != std::string_view::npos) return fail(used, 400, "bare CR");

  switch (state_) {
    case State::start_line:
      return on_start_line(line, used);
    case State::fields:
      if (line.empty()) return on_fields_end(used);
      section_bytes_ += line_.size();
      return on_field_line(line, msg_.fields, used);
    case State::chunk_size:
      return on_chunk_size(line, used);
    case State::chunk_data_end:
      // RFC 9112 7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
      if (!line.empty()) return fail(used, 400, "chunk data not followed by CRLF");
      state_ = State::chunk_size;
      return Step{Event::need_more, used, {}, {}};
    case State::trailers: {
      if (line.empty()) {
        state_ = State::message_end;
        return Step{Event::need_more, used, {}, {}};
      }
      section_bytes_ += line_.size();
      // RFC 9112 7.1.2: trailer fields are parsed like header fields; keeping them is optional.
      if (limits_.keep_trailers) return on_field_line(line, msg_.trailers, used);
      return on_field_line(line, dropped_trailers_, used);  // still counted against the limit
    }
    default:
      return fail(used, 400, "internal: line in a body state");
  }
}

Step Parser::on_start_line(std::string_view line, size_t used) {
  if (line.empty()) {
    // RFC 9112 2.2: ignore at least one empty line before the start line (a few, not forever).
    if (++empty_lines_ > 4) return fail(used, 400, "too many empty lines before start line");
    return Step{Event::need_more, used, {}, {}};
  }
  if (line.find('\0') != std::string_view::npos) return fail(used, 400, "NUL in start line");
  return role_ == Role::request ? on_request_line(line, used) : on_status_line(line, used);
}

// RFC 9112 3: request-line = method SP request-target SP HTTP-version
Step Parser::on_request_line(std::string_view line, size_t used) {
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return fail(used, 400, "malformed request line");
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return fail(used, 400, "malformed request line");
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  // RFC 9112 3.1: the method is a token; unknown ones are the caller's to answer with 501.
  if (!is_token(method)) return fail(used, 400, "invalid method");
  if (!valid_target(target)) return fail(used, 400, "invalid request target");
  if (unsigned bad = parse_version(version, msg_.version_minor); bad != 0)
    return fail(used, bad, bad == 505 ? "HTTP version not supported" : "invalid HTTP version");
  msg_.method = method;
  msg_.target = target;
  state_ = State::fields;
  return Step{Event::need_more, used, {}, {}};
}

// RFC 9112 4: status-line = HTTP-version SP status-code SP [ reason-phrase ]
Step Parser::on_status_line(std::string_view line, size_t used) {
  if (line.size() < 12 || line[8] != ' ') return fail(used, 400, "malformed status line");
  if (unsigned bad = parse_version(line.substr(0, 8), msg_.version_minor); bad != 0)
    return fail(used, bad, bad == 505 ? "HTTP version not supported" : "invalid HTTP version");
  std::string_view code = line.substr(9, 3);
  if (!std::all_of(code.begin(), code.end(), is_digit) || code[0] < '1' || code[0] > '5')
    return fail(used, 400, "invalid status code");  // RFC 9110 15: 100..599
  std::string_view reason = line.substr(12);
  // Some servers omit the SP before an empty reason; accept that, nothing else.
  if (!reason.empty()) {
    if (reason[0] != ' ') return fail(used, 400, "malformed status line");
    reason.remove_prefix(1);
  }
  if (!valid_field_value(reason)) return fail(used, 400, "invalid reason phrase");
  msg_.status =
      static_cast<unsigned>((code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0'));
  msg_.reason = reason;
  state_ = State::fields;
  return Step{Event::need_more, used, {}, {}};
}

// RFC 9112 5: field-line = field-name ":" OWS field-value OWS
Step Parser::on_field_line(std::string_view line, std::vector<Field>& into, size_t used) {
  if (is_ows(line.front())) {
    // RFC 9112 5.2: obs-fold. A server rejects it with 400; a user agent replaces it with SP.
    // RFC 9112 2.2: whitespace before the first field line is rejected too.
    if (role_ == Role::request || into.empty()) return fail(used, 400, "obsolete line folding");
    std::string_view more = trim_ows(line);
    if (!valid_field_value(more)) return fail(used, 400, "invalid field value");
    if (!more.empty()) {
      std::string& value = into.back().value;
      if (!value.empty()) value += ' ';
      value += more;
    }
    return Step{Event::need_more, used, {}, {}};
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return fail(used, 400, "field line without colon");
  std::string_view name = line.substr(0, colon);
  // RFC 9112 5.1: no whitespace between name and colon (400); names are tokens.
  if (!is_token(name)) return fail(used, 400, "invalid field name");
  std::string_view value = trim_ows(line.substr(colon + 1));
  if (!valid_field_value(value)) return fail(used, 400, "invalid field value");
  if (into.size() >= limits_.max_header_count) return fail(used, 431, "too many fields");
  into.push_back(Field{std::string(name), std::string(value)});
  return Step{Event::need_more, used, {}, {}};
}

// RFC 9112 6.3: decide how the body is delimited, in the RFC's order.
Step Parser::on_fields_end(size_t used) {
  const bool request = role_ == Role::request;
  size_t hosts = 0;
  bool has_te = false, has_cl = false, te_chunked_last = false, te_unknown = false;
  size_t chunked_count = 0;
  uint64_t cl = 0;
  for (const Field& f : msg_.fields) {
    if (iequals(f.name, "Host")) ++hosts;
    if (iequals(f.name, "Transfer-Encoding")) {
      has_te = true;
      for_each_item(f.value, [&](std::string_view coding) {
        te_chunked_last = iequals(coding, "chunked");
        if (te_chunked_last)
          ++chunked_count;
        else
          te_unknown = true;
        return true;
      });
    }
    if (iequals(f.name, "Content-Length")) {
      // RFC 9110 8.6: a list of identical values may be taken as one; anything else is invalid.
      bool ok = for_each_item(f.value, [&](std::string_view item) {
        uint64_t v = 0;
        if (!parse_decimal(item, v) || (has_cl && v != cl)) return false;
        has_cl = true;
        cl = v;
        return true;
      });
      if (!ok || !has_cl) return fail(used, 400, "invalid Content-Length");
    }
  }

  if (request) {
    // RFC 9112 3.2: a server responds 400 to an HTTP/1.1 request without Host, or with several.
    if (hosts > 1 || (msg_.version_minor == 1 && hosts == 0))
      return fail(used, 400, "missing or repeated Host");
    // RFC 9110 10.1.1: ignore 100-continue in an HTTP/1.0 request.
    const Field* expect = msg_.find("Expect");
    msg_.expect_continue =
        msg_.version_minor == 1 && expect != nullptr && iequals(expect->value, "100-continue");
  }
  if (has_cl) msg_.content_length = cl;

  state_ = State::message_end;
  // RFC 9112 6.3 items 1-2: HEAD responses, 1xx, 204, 304 and 2xx to CONNECT have no body.
  if (!request && (request_method_ == "HEAD" || msg_.status / 100 == 1 || msg_.status == 204 ||
                   msg_.status == 304 || (request_method_ == "CONNECT" && msg_.status / 100 == 2)))
    return Step{Event::headers, used, {}, {}};

  if (has_te) {
    // RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 means faulty framing; RFC 9112 6.3 item 3:
    // with Content-Length too it may be smuggling. Either way, close after this message.
    if (msg_.version_minor == 0 || has_cl) msg_.must_close = true;
    msg_.content_length.reset();
    // RFC 9112 7: chunked is applied at most once.
    if (chunked_count > 1) return fail(used, 400, "chunked applied twice");
    if (te_chunked_last) {
      msg_.chunked = true;
      state_ = State::chunk_size;
    } else if (request) {
      // RFC 9112 6.3 item 4: a request whose final coding is not chunked has no knowable length.
      return fail(used, 400, "chunked is not the final transfer coding");
    } else {
      msg_.until_close = true;  // RFC 9112 6.3 item 4, response: read until close
      state_ = State::body_until_close;
    }
    // RFC 9112 6.1: a server answers 501 to a transfer coding it does not implement. Responses
    // keep other codings on the body for the caller to undo (after chunked is removed here).
    if (request && te_unknown) return fail(used, 501, "unsupported transfer coding");
  } else if (has_cl) {
    // RFC 9112 6.3 item 6.
    if (cl > limits_.max_body) return fail(used, 413, "body too large");
    remaining_ = cl;
    if (cl > 0) state_ = State::body_fixed;
  } else if (!request) {
    // RFC 9112 6.3 item 8: a response without framing runs until the connection closes.
    msg_.until_close = true;
    state_ = State::body_until_close;
  }
  // RFC 9112 6.3 item 7: a request without either has no body (state stays message_end).
  return Step{Event::headers, used, {}, {}};
}

// RFC 9112 7.1: chunk-size = 1*HEXDIG, then chunk-ext = *( BWS ";" BWS chunk-ext-name
// [ BWS "=" BWS chunk-ext-val ] ). Extensions are checked for stray controls and ignored.
Step Parser::on_chunk_size(std::string_view line, size_t used) {
  uint64_t size = 0;
  size_t i = 0;
  for (; i < line.size() && hex_value(line[i]) >= 0; ++i) {
    if (size > (std::numeric_limits<uint64_t>::max() >> 4)) return fail(used, 400, "chunk too big");
    size = (size << 4) | static_cast<uint64_t>(hex_value(line[i]));
  }
  if (i == 0) return fail(used, 400, "invalid chunk size");
  std::string_view ext = trim_ows(line.substr(i));
  if (!ext.empty() && ext[0] != ';') return fail(used, 400, "invalid chunk size");
  if (!valid_field_value(ext)) return fail(used, 400, "invalid chunk extension");
  if (size == 0) {
    state_ = State::trailers;
    section_bytes_ = 0;
    return Step{Event::need_more, used, {}, {}};
  }
  if (size > limits_.max_body - std::min(body_bytes_, limits_.max_body))
    return fail(used, 413, "body too large");
  body_bytes_ += size;
  remaining_ = size;
  state_ = State::chunk_data;
  return Step{Event::need_more, used, {}, {}};
}

}  // namespace tundra::http
