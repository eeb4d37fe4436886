// Which responses tundra-fetch follows with -L, and with which method and body the next request
// goes (RFC 9110 15.4). Called by the fetch loop in main.cpp after each response.
#pragma once

#include <string>
#include <string_view>

namespace tundra::fetch {

// 301, 302, 303, 307 and 308: the statuses whose Location a user agent follows (RFC 9110 15.4).
// 300 (a choice for the user) and 304 (a cache answer) are not followed.
bool is_followed_redirect(unsigned status);

struct NextRequest {
  std::string method;
  bool keep_body = false;
};

// RFC 9110 15.4.2, 15.4.3: after 301 and 302 a user agent may change POST to GET, and every
// browser does, so we do for any method but HEAD; 15.4.4: after 303 the next request is a GET
// (or HEAD for HEAD); 15.4.8, 15.4.9: 307 and 308 keep the method and the body.
NextRequest after_redirect(unsigned status, std::string_view method);

}  // namespace tundra::fetch
