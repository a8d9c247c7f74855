# Sourced by the sandboxes' run.sh with the sandbox's name: `. "$(dirname "$0")/../common.sh" NAME`.
# Sets here (the sandbox folder), src (native/src), out (native/build-dev-NAME, created), flags (the
# common compile flags) and avx512 (the flags of *_avx512.cc files).
here=$(cd "$(dirname "$0")" && pwd)
src=$here/../../src
out=$here/../../build-dev-$1
mkdir -p "$out"
flags=(-std=c++17 -O3 -I"$here/../../include" -I"$src")
avx512=(-mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx2 -mfma)
