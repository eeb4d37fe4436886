// Which of two errors tundra-bulk reports for a connection (errno naming is apps/common/errors).
#include "apps/bulk/errors.hpp"

#include "apps/common/options.hpp"

namespace tundra::bulk {

int more_telling(int a, int b) {
  auto rank = [](int e) { return e == 0 ? 0 : exit_code_for(e) == app::kExitFailure ? 1 : 2; };
  return rank(b) > rank(a) ? b : a;
}

}  // namespace tundra::bulk
