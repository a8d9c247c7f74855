/**
 * Inline SVG charts as pure functions of their data: a line chart (training curves), a grouped bar
 * chart (methods' scores) and a heatmap (confusion matrix). No scripts, no external resources, so a
 * report opens anywhere and renders the same in every browser.
 */

/**
 * Escapes text for HTML and SVG content and attribute values.
 * @example
 * escapeXml('a < b & "c"'); // 'a &lt; b &amp; &quot;c&quot;'
 */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** A number printed for SVG coordinates: short, never exponent notation. */
function n(value: number): string {
  return Number.isFinite(value) ? (Math.round(value * 10) / 10).toString() : '0';
}

/** One series of a line chart. */
export interface LineSeries {
  name: string;
  color: string;
  points: ReadonlyArray<readonly [number, number]>;
}

/** Options of {@link lineChart}. */
export interface LineChartOptions {
  width?: number;
  height?: number;
  xLabel: string;
  yLabel: string;
  title?: string;
}

/**
 * "Nice" tick values covering [lo, hi]: steps of 1, 2 or 5 times a power of ten.
 * @example
 * niceTicks(0, 2.3, 5); // [0, 0.5, 1, 1.5, 2, 2.5]
 */
export function niceTicks(lo: number, hi: number, count: number): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power);
  const ticks: number[] = [];
  for (let t = Math.floor(lo / step) * step; t <= hi + step * 0.999; t += step) ticks.push(Math.round(t / step) * step);
  return ticks;
}

function tickText(value: number): string {
  return Math.abs(value) >= 1000 ? `${Math.round(value / 100) / 10}k` : String(Math.round(value * 1000) / 1000);
}

/**
 * A line chart with axes, ticks, grid and a legend; each series is drawn over its own points.
 * @example
 * lineChart([{ name: 'scratch', color: '#888', points: [[1, 2.3], [2, 1.9]] }], { xLabel: 'step', yLabel: 'loss' });
 */
export function lineChart(series: readonly LineSeries[], o: LineChartOptions): string {
  const width = o.width ?? 560, height = o.height ?? 300;
  const m = { left: 52, right: 16, top: o.title ? 30 : 12, bottom: 78 };
  const all = series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]), ys = all.map((p) => p[1]).filter(Number.isFinite);
  const xTicks = niceTicks(Math.min(0, ...xs), Math.max(1, ...xs), 6);
  const yTicks = niceTicks(Math.min(0, ...ys), Math.max(1e-9, ...ys), 5);
  const x0 = xTicks[0] as number, x1 = xTicks.at(-1) as number, y0 = yTicks[0] as number, y1 = yTicks.at(-1) as number;
  const pw = width - m.left - m.right, ph = height - m.top - m.bottom;
  const px = (x: number): number => m.left + ((x - x0) / (x1 - x0 || 1)) * pw;
  const py = (y: number): number => m.top + ph - ((y - y0) / (y1 - y0 || 1)) * ph;
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(o.title ?? o.yLabel)}">`];
  if (o.title) parts.push(`<text x="${m.left}" y="18" class="chart-title">${escapeXml(o.title)}</text>`);
  for (const t of yTicks) {
    parts.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${n(py(t))}" y2="${n(py(t))}" class="grid"/>`,
      `<text x="${m.left - 6}" y="${n(py(t) + 4)}" text-anchor="end" class="tick">${tickText(t)}</text>`);
  }
  for (const t of xTicks) parts.push(`<text x="${n(px(t))}" y="${m.top + ph + 16}" text-anchor="middle" class="tick">${tickText(t)}</text>`);
  parts.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${m.top + ph}" y2="${m.top + ph}" class="axis"/>`,
    `<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + ph}" class="axis"/>`,
    `<text x="${m.left + pw / 2}" y="${m.top + ph + 32}" text-anchor="middle" class="label">${escapeXml(o.xLabel)}</text>`,
    `<text transform="translate(14 ${n(m.top + ph / 2)}) rotate(-90)" text-anchor="middle" class="label">${escapeXml(o.yLabel)}</text>`);
  for (const s of series) {
    const pts = s.points.filter((p) => Number.isFinite(p[1]));
    if (pts.length === 1) parts.push(`<circle cx="${n(px(pts[0]?.[0] as number))}" cy="${n(py(pts[0]?.[1] as number))}" r="3" fill="${s.color}"/>`);
    else if (pts.length > 1) parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.map((p) => `${n(px(p[0]))},${n(py(p[1]))}`).join(' ')}"/>`);
  }
  parts.push(legend(series, m.left, height - 8, width - 4));
  parts.push('</svg>');
  return parts.join('');
}

function legend(items: ReadonlyArray<{ name: string; color: string }>, x: number, y: number, maxX = Infinity): string {
  // Items flow left to right and wrap to a second row (above the first) when they would pass maxX.
  const widths = items.map((s) => 28 + s.name.length * 7);
  const wraps = widths.reduce((a, w) => a + w, x) > maxX;
  let at = x, row = wraps ? y - 16 : y;
  return items.map((s, i) => {
    if (at + (widths[i] as number) - 12 > maxX && at > x) { at = x; row += 16; }
    const item = `<rect x="${at}" y="${row - 9}" width="12" height="10" fill="${s.color}"/><text x="${at + 16}" y="${row}" class="legend">${escapeXml(s.name)}</text>`;
    at += widths[i] as number;
    return item;
  }).join('');
}

/** One group of bars (e.g. a method) with one value per measure. */
export interface BarGroup {
  name: string;
  values: readonly number[];
}

/** Options of {@link barChart}. */
export interface BarChartOptions {
  /** Names and colors of the measures (one bar each per group). */
  measures: ReadonlyArray<{ name: string; color: string }>;
  width?: number;
  height?: number;
  /** Upper end of the value axis (default: 1, for fractions). */
  max?: number;
  /** How to print a value on its bar (default: percent with one decimal). */
  format?: (value: number) => string;
  title?: string;
}

/**
 * A grouped bar chart with the value printed above each bar.
 * @example
 * barChart([{ name: 'scratch', values: [0.62, 0.6] }], { measures: [{ name: 'accuracy', color: '#4c78a8' }, { name: 'macro-F1', color: '#f58518' }] });
 */
export function barChart(groups: readonly BarGroup[], o: BarChartOptions): string {
  const width = o.width ?? 560, height = o.height ?? 300;
  const m = { left: 52, right: 16, top: o.title ? 30 : 16, bottom: 58 };
  const max = o.max ?? 1;
  const format = o.format ?? ((v: number) => `${(v * 100).toFixed(1)}%`);
  const pw = width - m.left - m.right, ph = height - m.top - m.bottom;
  const py = (v: number): number => m.top + ph - (Math.max(0, Math.min(v, max)) / max) * ph;
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(o.title ?? 'bar chart')}">`];
  if (o.title) parts.push(`<text x="${m.left}" y="18" class="chart-title">${escapeXml(o.title)}</text>`);
  for (const t of niceTicks(0, max, 5)) {
    parts.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${n(py(t))}" y2="${n(py(t))}" class="grid"/>`,
      `<text x="${m.left - 6}" y="${n(py(t) + 4)}" text-anchor="end" class="tick">${max === 1 ? `${Math.round(t * 100)}%` : tickText(t)}</text>`);
  }
  const slot = pw / Math.max(1, groups.length);
  const bar = Math.min(40, (slot * 0.8) / Math.max(1, o.measures.length));
  groups.forEach((g, gi) => {
    const start = m.left + gi * slot + (slot - bar * o.measures.length) / 2;
    g.values.forEach((v, mi) => {
      const x = start + mi * bar, y = py(v);
      parts.push(`<rect x="${n(x + 1)}" y="${n(y)}" width="${n(bar - 2)}" height="${n(m.top + ph - y)}" fill="${o.measures[mi]?.color ?? '#999'}"><title>${escapeXml(`${g.name}, ${o.measures[mi]?.name ?? ''}: ${format(v)}`)}</title></rect>`,
        `<text x="${n(x + bar / 2)}" y="${n(y - 4)}" text-anchor="middle" class="value">${escapeXml(format(v))}</text>`);
    });
    parts.push(`<text x="${n(m.left + gi * slot + slot / 2)}" y="${m.top + ph + 18}" text-anchor="middle" class="label">${escapeXml(g.name)}</text>`);
  });
  parts.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${m.top + ph}" y2="${m.top + ph}" class="axis"/>`);
  parts.push(legend(o.measures, m.left, height - 12));
  parts.push('</svg>');
  return parts.join('');
}

/**
 * A confusion-matrix heatmap: rows are true classes, columns predictions; each cell shows its count
 * and is shaded by the row's fraction (so classes of different sizes read alike).
 * @example
 * heatmap([[9, 1], [2, 8]], ['sandal', 'shirt']);
 */
export function heatmap(matrix: readonly (readonly number[])[], classNames: readonly string[], title?: string): string {
  const k = matrix.length;
  const cell = Math.max(34, Math.min(64, Math.floor(360 / Math.max(1, k))));
  const left = 96, top = (title ? 30 : 8) + 22;
  const width = left + k * cell + 56, height = top + k * cell + 56;
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(title ?? 'confusion matrix')}">`];
  if (title) parts.push(`<text x="8" y="18" class="chart-title">${escapeXml(title)}</text>`);
  parts.push(`<text x="${left + (k * cell) / 2}" y="${top - 8}" text-anchor="middle" class="label">predicted</text>`);
  matrix.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    row.forEach((count, j) => {
      const share = count / total;
      const fill = i === j ? `rgba(44, 127, 184, ${n(0.08 + 0.92 * share)})` : `rgba(215, 48, 39, ${n(share === 0 ? 0 : 0.08 + 0.92 * Math.min(1, share * 2))})`;
      const dark = share > 0.55;
      parts.push(`<rect x="${left + j * cell}" y="${top + i * cell}" width="${cell}" height="${cell}" fill="${fill}" stroke="#fff"><title>${escapeXml(`true ${classNames[i] ?? i}, predicted ${classNames[j] ?? j}: ${count}`)}</title></rect>`,
        `<text x="${left + j * cell + cell / 2}" y="${top + i * cell + cell / 2 + 4}" text-anchor="middle" class="cell${dark ? ' on-dark' : ''}">${count}</text>`);
    });
    parts.push(`<text x="${left - 6}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end" class="tick">${escapeXml(classNames[i] ?? String(i))}</text>`);
  });
  classNames.slice(0, k).forEach((name, j) => {
    parts.push(`<text transform="translate(${left + j * cell + cell / 2} ${top + k * cell + 12}) rotate(20)" class="tick">${escapeXml(name)}</text>`);
  });
  parts.push(`<text transform="translate(12 ${top + (k * cell) / 2}) rotate(-90)" text-anchor="middle" class="label">true class</text>`);
  parts.push('</svg>');
  return parts.join('');
}
