// Instruction-set detection by cpuid, with an override for tests and for machines that misreport.
#include <atomic>
#include <cstdlib>
#include <cstring>

#include "graft/runtime.h"

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <cpuid.h>
#define GRAFT_X86 1
#endif

namespace graft {
namespace {

Isa detect() {
#ifdef GRAFT_X86
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return Isa::Generic;
  const bool fma = ecx & (1u << 12);
  const bool osxsave = ecx & (1u << 27);
  const bool avx = ecx & (1u << 28);
  if (!(fma && osxsave && avx)) return Isa::Generic;
  // The OS must save the YMM registers on context switches (XCR0 bits 1 and 2).
  unsigned xcr0_lo, xcr0_hi;
  __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  if ((xcr0_lo & 0x6) != 0x6) return Isa::Generic;
  if (__get_cpuid_max(0, nullptr) < 7) return Isa::Generic;
  __cpuid_count(7, 0, eax, ebx, ecx, edx);
  const bool avx2 = ebx & (1u << 5);
  return avx2 ? Isa::Avx2 : Isa::Generic;
#else
  return Isa::Generic;
#endif
}

bool detect_avx512() {
#ifdef GRAFT_X86
  if (detect() != Isa::Avx2) return false;
  unsigned eax, ebx, ecx, edx;
  __cpuid_count(7, 0, eax, ebx, ecx, edx);
  const unsigned f = 1u << 16, dq = 1u << 17, bw = 1u << 30, vl = 1u << 31;
  if ((ebx & (f | dq | bw | vl)) != (f | dq | bw | vl)) return false;
  // The OS must save the opmask and all 512-bit registers too (XCR0 bits 5, 6 and 7).
  unsigned xcr0_lo, xcr0_hi;
  __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  return (xcr0_lo & 0xE6) == 0xE6;
#else
  return false;
#endif
}

Isa initial_active() {
  Isa found = detect();
  const char* env = std::getenv("GRAFT_ISA");
  if (env && std::strcmp(env, "generic") == 0) return Isa::Generic;
  return found;
}

std::atomic<int> g_active{static_cast<int>(initial_active())};

bool initial_avx512() {
  const char* env = std::getenv("GRAFT_ISA");
  return detect_avx512() && !(env && (std::strcmp(env, "avx2") == 0 || std::strcmp(env, "generic") == 0));
}

std::atomic<bool> g_avx512{initial_avx512()};

}  // namespace

Isa detected_isa() {
  static const Isa found = detect();
  return found;
}

Isa active_isa() { return static_cast<Isa>(g_active.load(std::memory_order_relaxed)); }

void set_active_isa(Isa isa) {
  if (isa == Isa::Avx2 && detected_isa() != Isa::Avx2) isa = Isa::Generic;
  g_active.store(static_cast<int>(isa));
}

bool detected_avx512() {
  static const bool found = detect_avx512();
  return found;
}

void set_avx512_enabled(bool on) { g_avx512.store(on && detected_avx512()); }

bool use_avx512() { return use_avx2() && g_avx512.load(std::memory_order_relaxed); }

const char* isa_name(Isa isa) { return isa == Isa::Avx2 ? "avx2+fma" : "generic"; }

}  // namespace graft
