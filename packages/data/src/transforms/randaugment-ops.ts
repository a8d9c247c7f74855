/**
 * The image operations of RandAugment on uint8 images x (C,H,W), C = 1 or 3, following PIL/torchvision:
 * each takes the image and a signed strength and returns a new image. Geometric ops sample the nearest
 * source pixel and fill what falls outside with `fill`.
 */

/** Dimensions of the image an op works on. */
export interface Dims {
  c: number;
  h: number;
  w: number;
}

const clamp255 = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

/** y = x blended towards `other` by factor f: other + f * (x - other) (PIL ImageEnhance). */
function blend(x: Uint8Array, other: Float32Array | number, f: number): Uint8Array {
  const y = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const o = typeof other === 'number' ? other : (other[i] as number);
    y[i] = clamp255(o + f * ((x[i] as number) - o));
  }
  return y;
}

/** Greyscale value of pixel p (ITU-R 601-2 luma, as PIL's convert('L')). */
function luma(x: Uint8Array, d: Dims, p: number): number {
  if (d.c === 1) return x[p] as number;
  const plane = d.h * d.w;
  return ((x[p] as number) * 299 + (x[plane + p] as number) * 587 + (x[2 * plane + p] as number) * 114) / 1000;
}

/** Brightness: factor 1 + s (s in [-0.9, 0.9]) towards black. */
export function brightness(x: Uint8Array, _d: Dims, s: number): Uint8Array {
  return blend(x, 0, 1 + s);
}

/** Contrast: factor 1 + s towards the mean grey level. */
export function contrast(x: Uint8Array, d: Dims, s: number): Uint8Array {
  let sum = 0;
  const plane = d.h * d.w;
  for (let p = 0; p < plane; p++) sum += Math.floor(luma(x, d, p));
  return blend(x, plane > 0 ? Math.round(sum / plane) : 0, 1 + s);
}

/** Sharpness: factor 1 + s towards the image smoothed by PIL's 3x3 SMOOTH kernel (border kept). */
export function sharpness(x: Uint8Array, d: Dims, s: number): Uint8Array {
  const smooth = Float32Array.from(x);
  for (let ch = 0; ch < d.c; ch++) {
    for (let i = 1; i < d.h - 1; i++) {
      for (let j = 1; j < d.w - 1; j++) {
        const at = (ch * d.h + i) * d.w + j;
        let acc = 4 * (x[at] as number);
        for (let di = -1; di <= 1; di++) for (let dj = -1; dj <= 1; dj++) acc += x[at + di * d.w + dj] as number;
        smooth[at] = Math.round(acc / 13);
      }
    }
  }
  return blend(x, smooth, 1 + s);
}

/** Posterize: keep the top `bits` bits of every value. */
export function posterize(x: Uint8Array, _d: Dims, bits: number): Uint8Array {
  const mask = (0xff << (8 - bits)) & 0xff;
  return x.map((v) => v & mask);
}

/** Solarize: invert every value >= threshold. */
export function solarize(x: Uint8Array, _d: Dims, threshold: number): Uint8Array {
  return x.map((v) => (v >= threshold ? 255 - v : v));
}

/** Autocontrast: stretch each channel's [min, max] to [0, 255]. */
export function autocontrast(x: Uint8Array, d: Dims): Uint8Array {
  const y = new Uint8Array(x.length);
  const plane = d.h * d.w;
  for (let ch = 0; ch < d.c; ch++) {
    const band = x.subarray(ch * plane, (ch + 1) * plane);
    let lo = 255;
    let hi = 0;
    for (const v of band) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const k = hi > lo ? 255 / (hi - lo) : 1;
    for (let p = 0; p < plane; p++) y[ch * plane + p] = hi > lo ? clamp255(((band[p] as number) - lo) * k) : (band[p] as number);
  }
  return y;
}

/** Equalize: per-channel histogram equalisation (PIL ImageOps.equalize). */
export function equalize(x: Uint8Array, d: Dims): Uint8Array {
  const y = new Uint8Array(x.length);
  const plane = d.h * d.w;
  for (let ch = 0; ch < d.c; ch++) {
    const band = x.subarray(ch * plane, (ch + 1) * plane);
    const hist = new Int32Array(256);
    for (const v of band) hist[v]++;
    let last = 255;
    while (last > 0 && hist[last] === 0) last--;
    const step = Math.floor((plane - (hist[last] as number)) / 255);
    const lut = new Uint8Array(256);
    if (step === 0) for (let v = 0; v < 256; v++) lut[v] = v;
    else {
      let n = Math.floor(step / 2);
      for (let v = 0; v < 256; v++) {
        lut[v] = Math.min(255, Math.floor(n / step));
        n += hist[v] as number;
      }
    }
    for (let p = 0; p < plane; p++) y[ch * plane + p] = lut[band[p] as number] as number;
  }
  return y;
}

/**
 * Inverse affine warp with nearest sampling: output pixel (i, j) reads input at
 * (a*j + b*i + tx, c*j + d*i + ty) in pixel-centre coordinates.
 */
function warp(x: Uint8Array, dims: Dims, m: [number, number, number, number, number, number], fill: number): Uint8Array {
  const [a, b, tx, c, d, ty] = m;
  const { h, w } = dims;
  const y = new Uint8Array(x.length).fill(fill);
  const plane = h * w;
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      const sj = Math.round(a * j + b * i + tx);
      const si = Math.round(c * j + d * i + ty);
      if (si < 0 || si >= h || sj < 0 || sj >= w) continue;
      for (let ch = 0; ch < dims.c; ch++) y[ch * plane + i * w + j] = x[ch * plane + si * w + sj] as number;
    }
  }
  return y;
}

/** Rotate by `degrees` (counter-clockwise) about the image centre. */
export function rotate(x: Uint8Array, d: Dims, degrees: number, fill: number): Uint8Array {
  const t = (degrees * Math.PI) / 180;
  const cos = Math.cos(t);
  const sin = Math.sin(t);
  const cx = (d.w - 1) / 2;
  const cy = (d.h - 1) / 2;
  // Source = R(-t) applied to the output point about the centre (y axis points down).
  return warp(x, d, [cos, -sin, cx - cos * cx + sin * cy, sin, cos, cy - sin * cx - cos * cy], fill);
}

/** Shear along x: output (i, j) reads input (i, j + s*i). */
export function shearX(x: Uint8Array, d: Dims, s: number, fill: number): Uint8Array {
  return warp(x, d, [1, s, 0, 0, 1, 0], fill);
}

/** Shear along y: output (i, j) reads input (i + s*j, j). */
export function shearY(x: Uint8Array, d: Dims, s: number, fill: number): Uint8Array {
  return warp(x, d, [1, 0, 0, s, 1, 0], fill);
}

/** Translate right by `pixels` (rounded). */
export function translateX(x: Uint8Array, d: Dims, pixels: number, fill: number): Uint8Array {
  return warp(x, d, [1, 0, -Math.round(pixels), 0, 1, 0], fill);
}

/** Translate down by `pixels` (rounded). */
export function translateY(x: Uint8Array, d: Dims, pixels: number, fill: number): Uint8Array {
  return warp(x, d, [1, 0, 0, 0, 1, -Math.round(pixels)], fill);
}

/** Cutout: a `size x size` square centred at (ci, cj), clipped to the image, set to `fill`. */
export function cutout(x: Uint8Array, d: Dims, size: number, ci: number, cj: number, fill: number): Uint8Array {
  const y = x.slice();
  const i0 = Math.max(0, ci - Math.floor(size / 2));
  const i1 = Math.min(d.h, i0 + size);
  const j0 = Math.max(0, cj - Math.floor(size / 2));
  const j1 = Math.min(d.w, j0 + size);
  for (let ch = 0; ch < d.c; ch++) for (let i = i0; i < i1; i++) y.fill(fill, (ch * d.h + i) * d.w + j0, (ch * d.h + i) * d.w + j1);
  return y;
}
