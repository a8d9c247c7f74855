// The host's choice of block tile for the CUDA convolutions (conv2d.cuh).
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "cuda/conv2d.cuh"

namespace graft::cuda::conv {
namespace {

constexpr TileShape kTileShapes[] = {TileShape::k128x128, TileShape::k64x128, TileShape::k64x64};
constexpr int64_t kBlocksPerSm = 2;

int64_t tile_rows(TileShape shape) { return shape == TileShape::k128x128 ? 128 : 64; }
int64_t tile_cols(TileShape shape) { return shape == TileShape::k64x64 ? 64 : 128; }
std::string tile_name(TileShape shape) { return std::to_string(tile_rows(shape)) + "x" + std::to_string(tile_cols(shape)); }

// Whether GRAFT_CONV_TILE names a tile (into `shape`); false when unset or empty.
bool forced_tile(const char* op, TileShape& shape) {
  const char* value = std::getenv("GRAFT_CONV_TILE");
  if (value == nullptr || value[0] == '\0') return false;
  for (TileShape candidate : kTileShapes)
    if (tile_name(candidate) == value) return shape = candidate, true;
  throw Error(std::string(op) + ": GRAFT_CONV_TILE is '" + value + "'; expected 64x64, 64x128 or 128x128 (or unset)");
}

}  // namespace

int64_t grid_blocks(TileShape shape, int64_t m, int64_t cols, int64_t groups) {
  const int64_t big = int64_t(1) << 20;
  const int64_t tiles = ((m + tile_rows(shape) - 1) / tile_rows(shape)) * ((cols + tile_cols(shape) - 1) / tile_cols(shape));
  return std::min(tiles, big) * std::min(groups, big);
}

int64_t target_blocks(const char* op, int device) {
  int sms = 0;
  GRAFT_CUDA_CHECK(op, cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  return kBlocksPerSm * sms;
}

TileShape choose_tile(const char* op, int device, int64_t m, int64_t cols, int64_t groups, bool split_fills) {
  TileShape shape = TileShape::k64x64;
  if (forced_tile(op, shape)) return shape;
  const int64_t target = target_blocks(op, device);
  for (TileShape candidate : kTileShapes) {
    if ((tile_rows(candidate) > 64 && m <= 64) || (tile_cols(candidate) > 64 && cols <= 64)) continue;
    if (split_fills || grid_blocks(candidate, m, cols, groups) >= target) return candidate;
  }
  return TileShape::k64x64;
}

}  // namespace graft::cuda::conv
