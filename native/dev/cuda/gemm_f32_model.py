#!/usr/bin/env python3
"""CPU model of src/cuda/gemm_f32.cu's indexing, for checking it without a GPU.

Replays each block and thread in program order: Fetcher (which float4 or guarded scalars a thread loads
per K step, asserting that every float4 is 16-byte aligned and every read inside the stored matrix),
stash (the transposed shared layout), the 8x8 block of each thread (rows ty*4.. and 64+ty*4..,
columns tx*4.. and 64+tx*4..), and store4 (float4 or guarded scalars, beta == 0 never reading C). Odd
shapes, all transposes, padded leading dimensions, batches and both VEC settings; C's padding must stay
untouched and every element inside must be written. Timing and races are left to the GPU harness.
    /usr/bin/python3 native/dev/cuda/gemm_f32_model.py
"""
import itertools

import numpy as np

BM = BN = 128
BK = 8
THREADS = 256


class Fetcher:
    def __init__(self, mem, base, ld, origin, extent, k, tid, k_contiguous, vec):
        self.mem, self.k, self.extent, self.kc, self.vec = mem, k, extent, k_contiguous, vec
        self.moving = (tid % 2) * 4 if k_contiguous else tid // 32
        self.fixed = origin + (tid // 2 if k_contiguous else (tid % 32) * 4)
        self.ptr = base + (self.fixed * ld + self.moving if k_contiguous else self.moving * ld + self.fixed)
        self.step = BK if k_contiguous else BK * ld

    def next(self):
        v = np.zeros(4, np.float32)
        line_ok = self.fixed < self.extent if self.kc else self.moving < self.k
        along, end = (self.moving, self.k) if self.kc else (self.fixed, self.extent)
        if line_ok:
            if self.vec and along + 3 < end:
                assert self.ptr % 4 == 0, "misaligned float4 load"
                v[:] = self.mem[self.ptr:self.ptr + 4]
            else:
                for e in range(4):
                    if along + e < end:
                        v[e] = self.mem[self.ptr + e]
        self.ptr += self.step
        self.moving += BK
        return v


def stash(S, v, tid, k_contiguous):
    if k_contiguous:
        i, k = tid // 2, (tid % 2) * 4
        S[k:k + 4, i] = v
    else:
        S[tid // 32, (tid % 32) * 4:(tid % 32) * 4 + 4] = v


def lanes(t):
    return [t * 4 + u for u in range(4)] + [64 + t * 4 + u for u in range(4)]


def store4(C, p, cbase, i, j, acc, vec):
    if i >= p['m']:
        return
    out = cbase + i * p['ldc'] + j
    if vec and j + 3 < p['n']:
        assert out % 4 == 0, "misaligned float4 store"
        v = p['alpha'] * acc
        if p['beta'] != 0:
            v = v + p['beta'] * C[out:out + 4]
        C[out:out + 4] = v
        return
    for e in range(4):
        if j + e < p['n']:
            C[out + e] = p['alpha'] * acc[e] if p['beta'] == 0 else p['alpha'] * acc[e] + p['beta'] * C[out + e]


def run(p, a, b, c, vec):
    ta, tb = p['ta'], p['tb']
    for batch, by, bx in itertools.product(range(p['batch']), range(-(-p['m'] // BM)), range(-(-p['n'] // BN))):
        row0, col0 = by * BM, bx * BN
        fa = [Fetcher(a, batch * p['sa'], p['lda'], row0, p['m'], p['k'], t, not ta, vec) for t in range(THREADS)]
        fb = [Fetcher(b, batch * p['sb'], p['ldb'], col0, p['n'], p['k'], t, tb, vec) for t in range(THREADS)]
        acc = np.zeros((THREADS, 8, 8), np.float64)
        k0 = 0
        while True:  # every step's tiles, including the first, come from the fetchers in order
            As, Bs = np.full((BK, BM), np.nan), np.full((BK, BN), np.nan)
            for t in range(THREADS):
                stash(As, fa[t].next(), t, not ta)
                stash(Bs, fb[t].next(), t, tb)
            assert not np.isnan(As).any() and not np.isnan(Bs).any(), "shared tile not fully written"
            if k0 >= p['k']:
                break
            for t in range(THREADS):
                ty, tx = t // 16, t % 16
                acc[t] += As[:, lanes(ty)].T.astype(np.float64) @ Bs[:, lanes(tx)]
            k0 += BK
        for t in range(THREADS):
            ty, tx = t // 16, t % 16
            for u, i in enumerate(lanes(ty)):
                store4(c, p, batch * p['sc'], row0 + i, col0 + tx * 4, acc[t, u, :4], vec)
                store4(c, p, batch * p['sc'], row0 + i, col0 + 64 + tx * 4, acc[t, u, 4:], vec)


def check(m, n, k, ta, tb, batch, pad, alpha, beta, vec, rng):
    lda, ldb, ldc = (m if ta else k) + pad, (k if tb else n) + pad, n + pad
    sa, sb, sc = (k if ta else m) * lda + pad, (n if tb else k) * ldb + pad, m * ldc + pad
    p = dict(m=m, n=n, k=k, ta=ta, tb=tb, batch=batch, lda=lda, ldb=ldb, ldc=ldc, sa=sa, sb=sb, sc=sc,
             alpha=alpha, beta=beta)
    a = rng.uniform(-1, 1, sa * batch).astype(np.float32)
    b = rng.uniform(-1, 1, sb * batch).astype(np.float32)
    c0 = rng.uniform(-1, 1, sc * batch)
    inside = np.zeros(sc * batch, bool)
    for t in range(batch):
        for i in range(m):
            inside[t * sc + i * ldc:t * sc + i * ldc + n] = True
    if beta == 0:
        c0[inside] = np.nan
    c = c0.copy()
    run(p, a, b, c, vec)
    assert np.array_equal(c[~inside], c0[~inside]), "padding of C changed"
    worst = 0.0
    for t in range(batch):
        A = a[t * sa:t * sa + (k if ta else m) * lda].reshape(-1, lda)
        B = b[t * sb:t * sb + (n if tb else k) * ldb].reshape(-1, ldb)
        opa = (A[:, :m].T if ta else A[:, :k]).astype(np.float64)
        opb = (B[:, :k].T if tb else B[:, :n]).astype(np.float64)
        C0 = c0[t * sc:t * sc + m * ldc].reshape(m, ldc)[:, :n]
        ref = alpha * (opa @ opb) + (beta * C0 if beta != 0 else 0)
        got = c[t * sc:t * sc + m * ldc].reshape(m, ldc)[:, :n]
        assert np.isfinite(got).all(), "an element of C was not written"
        worst = max(worst, np.abs(got - ref).max())
    assert worst < 1e-9, f"wrong product: {worst}"


def vec_allowed(m, n, k, ta, tb, batch, pad):
    """The host's condition for VEC (gemm_f32): every row and batch of A, B, C 16-byte aligned."""
    lda, ldb, ldc = (m if ta else k) + pad, (k if tb else n) + pad, n + pad
    strides = ((k if ta else m) * lda + pad, (n if tb else k) * ldb + pad, m * ldc + pad)
    return all(x % 4 == 0 for x in (lda, ldb, ldc)) and (batch == 1 or all(x % 4 == 0 for x in strides))


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    cases = [(1, 1, 1, 1, 0), (7, 33, 13, 1, 0), (129, 130, 9, 1, 3), (33, 7, 0, 2, 1), (130, 5, 17, 2, 3),
             (132, 124, 36, 2, 4), (130, 126, 38, 1, 2)]
    for (m, n, k, batch, pad), ta, tb, vec in itertools.product(cases, (False, True), (False, True), (False, True)):
        if vec and not vec_allowed(m, n, k, ta, tb, batch, pad):
            continue
        beta = 0.0 if (m + ta + tb) % 2 else 0.5
        check(m, n, k, ta, tb, batch, pad, 1.25, beta, vec, rng)
        print(f"m={m} n={n} k={k} batch={batch} pad={pad} ta={ta:d} tb={tb:d} vec={vec:d} beta={beta}: ok")
    print("model matches")
