// The one error type for bad outside input (images, options, files): it carries a
// message meant for the user; the front end prints it and exits non-zero.
#pragma once
#include <stdexcept>
#include <string>

namespace vtlab {
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
}  // namespace vtlab
