// Checks src/cuda/divide.cuh's Divider<int32_t> and Divider<int64_t> against the compiler's division,
// on the host, through the CUDA simulator's headers (which make __device__ code plain C++ and give
// __umulhi its definition). Built and run by native/test/divide.test.ts; prints one line per failure
// and exits 1 if there is any.
#include <cstdint>
#include <cstdio>
#include <vector>

#include "cuda/divide.cuh"

namespace {

using graft::cuda::Divider;

int failures = 0;
int64_t checked = 0;

uint64_t next_random(uint64_t& state) {  // xorshift64*
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return state * 2685821657736338717ull;
}

void check(const Divider<int32_t>& divider, int32_t n) {
  ++checked;
  const auto qr = divider.divmod(n);
  const int32_t q = n / divider.divisor, r = n % divider.divisor;
  if ((qr.quotient != q || qr.remainder != r || divider.div(n) != q) && ++failures <= 20)
    std::printf("Divider<int32_t>(%d): %d gives %d r %d, expected %d r %d\n", divider.divisor, n, qr.quotient,
                qr.remainder, q, r);
}

// The dividends where an error would show first: around 0, around multiples of d, and the top of the range.
void check_divisor(int32_t d, uint64_t& state) {
  const Divider<int32_t> divider(d);
  const int64_t top = INT32_MAX, last_multiple = top / d * d;
  const int64_t edges[] = {0, 1, d - 1, d, int64_t(d) + 1, 2 * int64_t(d) - 1, 2 * int64_t(d),
                           last_multiple - 1, last_multiple, last_multiple + 1, top - 1, top};
  for (int64_t n : edges)
    if (n >= 0 && n <= top) check(divider, static_cast<int32_t>(n));
  for (int i = 0; i < 64; ++i) check(divider, static_cast<int32_t>(next_random(state) >> 33));
  for (int i = 0; i < 16; ++i) {  // just below and at a random multiple
    const int64_t multiple = int64_t(next_random(state) % uint64_t(top / d + 1)) * d;
    check(divider, static_cast<int32_t>(multiple));
    if (multiple > 0) check(divider, static_cast<int32_t>(multiple - 1));
  }
}

bool throws(int64_t d) {
  try {
    Divider<int32_t> divider(d);
    (void)divider;
    return false;
  } catch (const graft::Error&) {
    return true;
  }
}

}  // namespace

int main() {
  uint64_t state = 0x9E3779B97F4A7C15ull;
  std::vector<int64_t> divisors;
  for (int64_t d = 1; d <= 4096; ++d) divisors.push_back(d);
  for (int k = 12; k <= 31; ++k)
    for (int64_t delta = -2; delta <= 2; ++delta) divisors.push_back((int64_t(1) << k) + delta);
  for (int i = 0; i < 20000; ++i) divisors.push_back(int64_t(next_random(state) >> 33) + 1);
  for (int i = 0; i < 2000; ++i) divisors.push_back(int64_t(next_random(state) >> 53) + 1);  // up to 2^11
  for (int64_t d : divisors)
    if (d >= 1 && d <= INT32_MAX) check_divisor(static_cast<int32_t>(d), state);

  // Every fifth dividend (every residue many times) for a divisor with a long multiplier (3) and one
  // just past a power of two.
  for (int32_t d : {3, 65537}) {
    const Divider<int32_t> divider(d);
    for (int64_t n = 0; n <= INT32_MAX; n += 5) {
      const int32_t v = static_cast<int32_t>(n);
      ++checked;
      if (divider.div(v) != v / d && ++failures <= 20) std::printf("Divider<int32_t>(%d): %d\n", d, v);
    }
  }

  const Divider<int64_t> wide(1000003);
  for (int64_t n : {int64_t(0), int64_t(1000002), int64_t(1000003), (int64_t(1) << 40) + 5, INT64_MAX}) {
    ++checked;
    const auto qr = wide.divmod(n);
    if ((qr.quotient != n / 1000003 || qr.remainder != n % 1000003) && ++failures <= 20)
      std::printf("Divider<int64_t>(1000003): %lld\n", static_cast<long long>(n));
  }

  for (int64_t bad : {int64_t(0), int64_t(-1), int64_t(INT32_MAX) + 1})
    if (!throws(bad) && ++failures <= 20) std::printf("Divider<int32_t>(%lld) did not throw\n", static_cast<long long>(bad));

  std::printf("%lld divisions checked, %d wrong\n", static_cast<long long>(checked), failures);
  return failures == 0 ? 0 : 1;
}
