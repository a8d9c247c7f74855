#!/usr/bin/env python3
"""CPU model of src/cuda/gemm_mma.cu's data movement, for checking its indexing without a GPU.

It replays, lane by lane and in program order, what the kernel does: pack (transpose, round, pad),
cp.async of 16-byte chunks into the swizzled stage buffers, ldmatrix.x4 (lanes 8q..8q+7 give the row
addresses of matrix q; lane L receives word L%4 of row L//4 of every matrix), mma.sync with the PTX
fragment layouts (m16n8k8 TF32, m16n8k16 BF16; g = lane//4, t = lane%4), and the epilogue. The product
must match numpy's on the rounded inputs. Races and timing are not modelled: the GPU harness
(native/dev/cuda/gemm.cu) checks those.
    /usr/bin/python3 native/dev/cuda/gemm_mma_model.py
"""
import numpy as np

BM = BN = 128
ROW_BYTES = 128
THREADS = 256
STAGES = 3
GROUP_M = 8


def swizzle128(row, chunk):
    return row * 8 + (chunk ^ (row & 7))


def to_bf16(x):
    """float32 -> bf16 bits (round to nearest even), as uint16."""
    bits = x.astype(np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def to_tf32(x):
    """float32 -> tf32 kept in float32 (cvt.rna: nearest, ties away from zero)."""
    bits = x.astype(np.float32).view(np.uint32).astype(np.uint64)
    return (((bits + 0x1000) & 0xFFFFE000) & 0xFFFFFFFF).astype(np.uint32).view(np.float32)


def pack(x_rows_k, rp, kp, bf16):
    """op(X) as (rows, K) -> (rp, kp) K-contiguous, rounded and zero-padded, as raw bytes."""
    rows, k = x_rows_k.shape
    out = np.zeros((rp, kp), np.float32)
    out[:rows, :k] = x_rows_k
    return (to_bf16(out) if bf16 else to_tf32(out)).tobytes()


def words(buf, offset):
    return np.frombuffer(buf, np.uint32, count=4, offset=offset)


def ldmatrix_x4(smem, lane_addresses):
    """r[lane][q] = word lane%4 of the row whose address lane 8q + lane//4 gave."""
    return [[int(np.frombuffer(smem, np.uint32, 1, lane_addresses[8 * q + lane // 4] + 4 * (lane % 4))[0])
             for q in range(4)] for lane in range(32)]


def decode(word, bf16):
    """A 32-bit register as its elements (two bf16, or one tf32)."""
    if bf16:
        lo, hi = word & 0xFFFF, word >> 16
        return [np.uint32(lo << 16).view(np.float32), np.uint32(hi << 16).view(np.float32)]
    return [np.uint32(word).view(np.float32)]


def mma(acc, fa, fb0, fb1, bf16):
    """acc[lane][4] += A (16 x kk) B (kk x 8) with the PTX fragment layouts."""
    kk = 16 if bf16 else 8
    a = np.zeros((16, kk))
    b = np.zeros((kk, 8))
    for lane in range(32):
        g, t = lane // 4, lane % 4
        for reg in range(4):
            row = g + 8 * (reg % 2)
            for e, v in enumerate(decode(fa[lane][reg], bf16)):
                col = (2 * t + e + 8 * (reg // 2)) if bf16 else (t + 4 * (reg // 2))
                a[row, col] = v
        for reg, word in enumerate((fb0[lane], fb1[lane])):
            for e, v in enumerate(decode(word, bf16)):
                k = (2 * t + e + 8 * reg) if bf16 else (t + 4 * reg)
                b[k, g] = v
    d = a @ b
    for lane in range(32):
        g, t = lane // 4, lane % 4
        for e in range(4):
            acc[lane][e] += d[g + 8 * (e // 2), 2 * t + e % 2]


def block(ap, bp, kp_bytes, tm, tn, bf16):
    """One block's 128x128 tile of the product, replaying the kernel's main loop and epilogue."""
    stage_bytes = BM * ROW_BYTES
    smem = bytearray(STAGES * 2 * stage_bytes)
    kt_count = kp_bytes // ROW_BYTES
    ga, gb = tm * BM * kp_bytes, tn * BN * kp_bytes
    acc = [[[[0.0] * 4 for _ in range(4)] for _ in range(4)] for _ in range(8 * 32)]

    def load_stage(s, kt):
        for tid in range(THREADS):
            for i in range(4):
                idx = tid + i * THREADS
                row, chunk = idx // 8, idx % 8
                off = row * kp_bytes + kt * ROW_BYTES + chunk * 16
                for base, src, g0 in ((s * 2 * stage_bytes, ap, ga), ((s * 2 + 1) * stage_bytes, bp, gb)):
                    dst = base + swizzle128(row, chunk) * 16
                    smem[dst:dst + 16] = src[g0 + off:g0 + off + 16]

    for s in range(STAGES - 1):
        if s < kt_count:
            load_stage(s, s)
    for kt in range(kt_count):
        nxt = kt + STAGES - 1
        if nxt < kt_count:
            load_stage(nxt % STAGES, nxt)
        cs = kt % STAGES
        sa, sb = cs * 2 * stage_bytes, (cs * 2 + 1) * stage_bytes
        for warp in range(8):
            wm, wn = warp % 2, warp // 2
            for ks in range(4):
                fa = [ldmatrix_x4(smem, [sa + swizzle128(wm * 64 + mi * 16 + l % 16, ks * 2 + l // 16) * 16
                                         for l in range(32)]) for mi in range(4)]
                fb = [ldmatrix_x4(smem, [sb + swizzle128(wn * 32 + pair * 16 + l % 8 + 8 * (l // 16),
                                                         ks * 2 + (l // 8) % 2) * 16 for l in range(32)])
                      for pair in range(2)]
                for mi in range(4):
                    for nj in range(4):
                        b0 = [fb[nj // 2][l][(nj % 2) * 2] for l in range(32)]
                        b1 = [fb[nj // 2][l][(nj % 2) * 2 + 1] for l in range(32)]
                        mma([acc[warp * 32 + l][mi][nj] for l in range(32)], [fa[mi][l] for l in range(32)],
                            b0, b1, bf16)
    out = np.full((BM, BN), np.nan)
    for warp in range(8):
        wm, wn = warp % 2, warp // 2
        for lane in range(32):
            r0, c0 = wm * 64 + lane // 4, wn * 32 + (lane % 4) * 2
            for mi in range(4):
                for nj in range(4):
                    for e in range(4):
                        out[r0 + mi * 16 + (e // 2) * 8, c0 + nj * 8 + e % 2] = acc[warp * 32 + lane][mi][nj][e]
    return out


def tile_order(pid, tiles_m, tiles_n):
    per_group = GROUP_M * tiles_n
    first_m = pid // per_group * GROUP_M
    group_rows = min(tiles_m - first_m, GROUP_M)
    return first_m + (pid % per_group) % group_rows, (pid % per_group) // group_rows


def check(m, n, k, bf16, seed):
    rng = np.random.default_rng(seed)
    a = rng.uniform(-1, 1, (m, k)).astype(np.float32)
    b = rng.uniform(-1, 1, (k, n)).astype(np.float32)
    elem = 2 if bf16 else 4
    kp = -(-k // (ROW_BYTES // elem)) * (ROW_BYTES // elem)
    mp, np_ = -(-m // BM) * BM, -(-n // BN) * BN
    ap, bp = pack(a, mp, kp, bf16), pack(b.T, np_, kp, bf16)
    tiles_m, tiles_n = mp // BM, np_ // BN
    seen = set()
    c = np.full((mp, np_), np.nan)
    for pid in range(tiles_m * tiles_n):
        tm, tn = tile_order(pid, tiles_m, tiles_n)
        assert (tm, tn) not in seen and tm < tiles_m and tn < tiles_n, (pid, tm, tn)
        seen.add((tm, tn))
        c[tm * BM:(tm + 1) * BM, tn * BN:(tn + 1) * BN] = block(ap, bp, kp * elem, tm, tn, bf16)
    rounded = (lambda x: np.frombuffer(pack(x, x.shape[0], x.shape[1], bf16), np.uint16 if bf16 else np.float32))
    if bf16:
        ra = (rounded(a).astype(np.uint32) << 16).view(np.float32).reshape(m, k)
        rb = (rounded(b).astype(np.uint32) << 16).view(np.float32).reshape(k, n)
    else:
        ra, rb = rounded(a).reshape(m, k), rounded(b).reshape(k, n)
    ref = ra.astype(np.float64) @ rb.astype(np.float64)
    err = np.abs(c[:m, :n] - ref).max()
    print(f"{'bf16' if bf16 else 'tf32'} m={m} n={n} k={k}: max |c - ref| = {err:.2e}")
    assert err < 1e-9, "indexing error"


if __name__ == "__main__":
    check(130, 129, 40, False, 1)   # two tile rows and columns, K over one stage, padding everywhere
    check(130, 129, 200, True, 2)   # several stages through the ring
    check(128, 128, 300, False, 3)  # more K tiles than stages
    tiles = {tile_order(p, 20, 3) for p in range(60)}
    assert len(tiles) == 60, "tile order must cover every tile once"
    print("model matches")
