// Redirect rules for tundra-fetch -L (RFC 9110 15.4).
#include "apps/fetch/redirect.hpp"

namespace tundra::fetch {

bool is_followed_redirect(unsigned status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

NextRequest after_redirect(unsigned status, std::string_view method) {
  if (status == 307 || status == 308) return {std::string(method), true};
  if (method == "HEAD") return {"HEAD", false};
  return {"GET", false};
}

}  // namespace tundra::fetch
