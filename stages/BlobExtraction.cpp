// Work in progress (stub so that the interface links).
#include "stages/ImageDetection.hpp"

namespace yf {}  // namespace yf
