/**
 * report.html: a self-contained page (inline CSS and SVG, no scripts) rendered as a pure function of
 * a {@link RunReport}, with a plain-language reading of the result at the top.
 */
import { barChart, escapeXml, heatmap, lineChart } from './svg.js';
import type { MethodResult, RunReport, SelfTrainingRow } from './types.js';

/** Colors of the methods, the same in every chart. */
export const METHOD_COLORS: Readonly<Record<string, string>> = {
  scratch: '#8c8c8c', 'linear-probe': '#4c78a8', 'fine-tune': '#f58518', 'self-train': '#54a24b',
};

const ROUND_COLORS = ['#54a24b', '#2e7d32', '#88d27a', '#1b5e20', '#b5e3a8'];

/**
 * Percent with one decimal: 0.8234 -> '82.3%'.
 * @example
 * percent(0.8234); // '82.3%'
 */
export function percent(fraction: number): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(1)}%` : 'n/a';
}

/**
 * Seconds as '42.1 s' or '3 min 05 s'.
 * @example
 * duration(185); // '3 min 05 s'
 */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'n/a';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  return `${m} min ${String(Math.round(seconds - m * 60)).padStart(2, '0')} s`;
}

/**
 * The method with the highest test accuracy (macro-F1 breaks ties).
 * @example
 * bestMethod(report.methods).method; // 'self-train'
 */
export function bestMethod(methods: readonly MethodResult[]): MethodResult {
  if (methods.length === 0) throw new Error('bestMethod: methods is empty');
  return methods.reduce((best, m) => (m.testAccuracy > best.testAccuracy || (m.testAccuracy === best.testAccuracy && m.macroF1 > best.macroF1) ? m : best));
}

function points(delta: number): string {
  const p = delta * 100;
  return `${p >= 0 ? '+' : '−'}${Math.abs(p).toFixed(1)} points`;
}

/** The largest off-diagonal cell of a confusion matrix, as a sentence. */
function worstConfusion(m: MethodResult, names: readonly string[]): string | undefined {
  let best = { i: -1, j: -1, count: 0 };
  m.confusion.forEach((row, i) => row.forEach((count, j) => { if (i !== j && count > best.count) best = { i, j, count }; }));
  if (best.i < 0) return undefined;
  const rowTotal = (m.confusion[best.i] ?? []).reduce((a, b) => a + b, 0);
  return `Its most frequent mistake is taking a ${names[best.i] ?? best.i} for a ${names[best.j] ?? best.j} (${best.count} of ${rowTotal} test images of that class).`;
}

/**
 * A short plain-language reading of the result: what transfer bought over scratch, which method won,
 * what self-training added, and how much to trust the numbers.
 * @example
 * readResult(report); // ['With only 10 labelled images per class ...', ...]
 */
export function readResult(r: RunReport): string[] {
  const by = new Map(r.methods.map((m) => [m.method, m]));
  const scratch = by.get('scratch');
  const out: string[] = [];
  const k = r.task.labelsPerClass;
  if (scratch) out.push(`With only ${k} labelled image${k === 1 ? '' : 's'} per class (${r.task.labelled} in all), a ResNet-20 trained from scratch classifies ${percent(scratch.testAccuracy)} of the ${r.task.test} test images correctly.`);
  const transfer = r.methods.filter((m) => m.method !== 'scratch');
  if (scratch && transfer.length > 0) {
    const parts = transfer.map((m) => `${m.method} ${percent(m.testAccuracy)} (${points(m.testAccuracy - scratch.testAccuracy)})`);
    out.push(`Starting from the backbone pretrained on ${r.task.source}, on the same labels: ${parts.join(', ')}.`);
    const worse = transfer.filter((m) => m.testAccuracy < scratch.testAccuracy);
    if (worse.length > 0) out.push(`Negative transfer: ${worse.map((m) => m.method).join(' and ')} did worse than training from scratch; the pretrained features do not suit this target as used.`);
  }
  const best = bestMethod(r.methods);
  out.push(`The best model is ${best.method}: ${percent(best.testAccuracy)} accuracy, macro-F1 ${best.macroF1.toFixed(3)}. ${worstConfusion(best, r.task.classNames) ?? ''}`.trim());
  out.push(...readSelfTraining(r.selfTraining, by.get('self-train'), r.task.pool));
  out.push(...readStarts(r));
  const onePoint = r.task.test > 0 ? Math.max(1, Math.round(r.task.test / 100)) : 0;
  if (onePoint > 0) out.push(`One point of accuracy is ${onePoint} test image${onePoint === 1 ? '' : 's'}; with ${k} labels per class the scores move by a few points from one seed to another, so read small differences with care.`);
  return out;
}

function readSelfTraining(rows: readonly SelfTrainingRow[], selfTrain: MethodResult | undefined, pool: number): string[] {
  const teacher = rows.find((row) => row.round === 0);
  const students = rows.filter((row) => row.round > 0);
  if (!teacher || students.length === 0) return [];
  const kept = students.map((row) => row.keptPerClass.reduce((a, b) => a + b, 0));
  const accs = students.map((row) => (row.pseudoLabelAccuracy === null ? undefined : percent(row.pseudoLabelAccuracy))).filter((a) => a !== undefined);
  const accepted = students.filter((row) => row.accepted);
  const rejected = students.find((row) => !row.accepted);
  let text = `Self-training used the ${pool} unlabelled images. Its teacher, fine-tuned on the labels less a held-out fifth, scored ${percent(teacher.testAccuracy)}; ` +
    `over ${students.length} round${students.length === 1 ? '' : 's'} it kept ${kept.join(', ')} confident pseudo-labels` +
    `${accs.length ? ` (${accs.join(', ')} of them correct)` : ''}`;
  if (selfTrain) text += ` and the best accepted student reached ${percent(selfTrain.testAccuracy)} (${points(selfTrain.testAccuracy - teacher.testAccuracy)} over its teacher)`;
  text += '.';
  if (rejected) text += ` Round ${rejected.round}'s student did worse on the held-out labels than the best so far, so it was discarded and the rounds stopped${accepted.length === 0 ? ': the teacher is the result' : ''}.`;
  return [text];
}

const STYLE = `
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;max-width:1180px;margin:24px auto;padding:0 24px;background:#fff}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
.sub{color:#57606a;margin:0 0 16px}.reading{background:#f6f8fa;border-left:4px solid #54a24b;padding:10px 16px;margin:12px 0}
.reading p{margin:6px 0}.grid2{display:flex;flex-wrap:wrap;gap:16px 32px;align-items:flex-start}
table{border-collapse:collapse;margin:8px 0}th,td{padding:4px 12px;text-align:right;border-bottom:1px solid #eaeef2}
th{background:#f6f8fa;font-weight:600}td{white-space:nowrap}th{white-space:normal;vertical-align:bottom}td.small{white-space:normal}td.l,th.l{text-align:left}tr.best td{font-weight:600;background:#eef7ec}
.swatch{display:inline-block;width:10px;height:10px;margin-right:6px;border-radius:2px}
svg text{font-family:system-ui,sans-serif}.tick{font-size:11px;fill:#57606a}.label{font-size:12px;fill:#1f2328}
.legend{font-size:12px;fill:#1f2328}.value{font-size:11px;fill:#1f2328}.chart-title{font-size:13px;font-weight:600;fill:#1f2328}
.cell{font-size:13px;fill:#1f2328}.cell.on-dark{fill:#fff}.grid{stroke:#eaeef2}.axis{stroke:#8c959f}
.small{font-size:13px;color:#57606a}`;

function methodsTable(r: RunReport, best: MethodResult): string {
  const rows = r.methods.map((m) => `<tr${m === best ? ' class="best"' : ''}><td class="l"><span class="swatch" style="background:${METHOD_COLORS[m.method] ?? '#999'}"></span>${escapeXml(m.method)}</td>` +
    `<td>${percent(m.testAccuracy)}</td><td>${m.macroF1.toFixed(3)}</td><td>${duration(m.seconds)}</td><td class="l small">${escapeXml(m.description)}</td></tr>`);
  return `<table><thead><tr><th class="l">method</th><th>test accuracy</th><th>macro-F1</th><th>time</th><th class="l">what it does</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function selfTrainingTable(r: RunReport): string {
  if (r.selfTraining.length === 0) return '<p class="small">No self-training rounds ran.</p>';
  const classes = r.task.classNames.length;
  const head = r.task.classNames.map((c) => `<th>${escapeXml(c)}</th>`).join('');
  const rows = r.selfTraining.map((row) => {
    const kept = row.round === 0
      ? `<td class="l" colspan="${classes + 1}">teacher: fine-tuned on the labels not held out</td>`
      : `${row.keptPerClass.map((c) => `<td>${c}</td>`).join('')}<td>${row.keptPerClass.reduce((a, b) => a + b, 0)}</td>`;
    return `<tr${row.accepted ? '' : ' class="small"'}><td>${row.round}</td>${kept}<td>${row.pseudoLabelAccuracy === null ? 'n/a' : percent(row.pseudoLabelAccuracy)}</td>` +
      `<td>${row.threshold === null ? 'n/a' : row.threshold.toFixed(2)}</td><td>${percent(row.validationAccuracy)}</td><td>${percent(row.testAccuracy)}</td>` +
      `<td>${row.macroF1.toFixed(3)}</td><td>${row.round === 0 ? '' : row.accepted ? 'yes' : 'no'}</td><td>${duration(row.seconds)}</td></tr>`;
  });
  return `<table><thead><tr><th rowspan="2">round</th><th colspan="${classes}">pseudo-labels kept per class</th><th rowspan="2">kept</th>` +
    '<th rowspan="2">pseudo-label accuracy</th><th rowspan="2">threshold</th><th rowspan="2">held-out accuracy</th><th rowspan="2">test accuracy</th>' +
    '<th rowspan="2">macro-F1</th><th rowspan="2">accepted</th><th rowspan="2">time</th></tr>' +
    `<tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>` +
    '<p class="small">Pseudo-label accuracy compares the kept pseudo-labels with the pool\'s withheld labels, for this report only; training never sees them. ' +
    'A student replaces its teacher unless it does worse on the held-out labels (a fifth of the labelled images, which the teacher never trained on) than the best round so far, by more than one image; the test set decides nothing.</p>';
}

function startsTable(r: RunReport): string {
  const starts = r.starts ?? [];
  const scratch = r.methods.find((m) => m.method === 'scratch');
  const cells = (s: { testAccuracy: number; macroF1: number }): string => `<td>${percent(s.testAccuracy)}</td><td>${s.macroF1.toFixed(3)}</td>`;
  const rows = starts.map((s) => `<tr><td class="l">${escapeXml(s.start)}</td>${cells(s.linearProbe)}${cells(s.fineTune)}<td class="l small">${escapeXml(s.weights)}</td></tr>`);
  if (scratch) rows.unshift(`<tr><td class="l">none (scratch)</td><td colspan="2">-</td>${cells(scratch)}<td class="l small">random initialisation</td></tr>`);
  return '<table><thead><tr><th class="l" rowspan="2">pretrained start</th><th colspan="2">linear probe</th><th colspan="2">fine-tune (LP-FT)</th><th class="l" rowspan="2">weights</th></tr>' +
    `<tr><th>test accuracy</th><th>macro-F1</th><th>test accuracy</th><th>macro-F1</th></tr></thead><tbody>${rows.join('')}</tbody></table>` +
    '<p class="small">The same labels, recipes and seed from each start; the scratch row is trained with the same budget, so it goes in the fine-tune columns.</p>';
}

/** A sentence comparing the pretrained starts, when they were compared. */
function readStarts(r: RunReport): string[] {
  const starts = r.starts ?? [];
  if (starts.length < 2) return [];
  const parts = starts.map((s) => `${s.start} ${percent(s.fineTune.testAccuracy)} fine-tuned (probe ${percent(s.linearProbe.testAccuracy)})`);
  const best = starts.reduce((a, b) => (b.fineTune.testAccuracy > a.fineTune.testAccuracy ? b : a));
  return [`Pretrained starts compared: ${parts.join(', ')}; the ${best.start} backbone transfers best here.`];
}

function keyValueTable(entries: Record<string, string | number | boolean>, format: (v: string | number | boolean) => string = String): string {
  const rows = Object.entries(entries).map(([k, v]) => `<tr><td class="l">${escapeXml(k)}</td><td class="l">${escapeXml(format(v))}</td></tr>`);
  return `<table><tbody>${rows.join('')}</tbody></table>`;
}

function charts(r: RunReport, best: MethodResult): string {
  const bars = barChart(r.methods.map((m) => ({ name: m.method, values: [m.testAccuracy, m.macroF1] })), {
    measures: [{ name: 'test accuracy', color: '#4c78a8' }, { name: 'macro-F1', color: '#f2a65a' }], title: 'Test accuracy and macro-F1 by method', width: 540, height: 320,
  });
  let round = 0;
  const series = r.curves.map((c) => ({
    name: c.name, points: c.points,
    color: METHOD_COLORS[c.name] ?? ROUND_COLORS[round++ % ROUND_COLORS.length] as string,
  }));
  const curves = lineChart(series, { xLabel: 'share of the method\'s training (%)', yLabel: 'training loss', title: 'Training loss', width: 540, height: 320 });
  const matrix = heatmap(best.confusion, r.task.classNames, `Confusion matrix of the best model (${best.method}), test set`);
  return `<div class="grid2"><div>${bars}</div><div>${curves}</div></div><h2>Where the best model errs</h2><div class="grid2"><div>${matrix}</div>` +
    `<div class="small" style="max-width:420px"><p>Rows are the true classes, columns the predicted ones; each cell counts test images. Blue cells on the diagonal are correct, red cells are mistakes; shading is the share of the row.</p></div></div>`;
}

/**
 * The whole report page.
 * @example
 * writeFileSync('runs/q/report.html', renderReport(report));
 */
export function renderReport(r: RunReport): string {
  const best = bestMethod(r.methods);
  const reading = readResult(r).map((p) => `<p>${escapeXml(p)}</p>`).join('');
  const task = `Target: ${r.task.classNames.join(', ')} (Fashion-MNIST classes ${r.task.classes.join(', ')}); ${r.task.labelsPerClass} labelled images per class ` +
    `(${r.task.labelled}), ${r.task.pool} unlabelled pool images, ${r.task.test} test images. Pretrained on ${r.task.source}.`;
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${escapeXml(r.title)}</title><style>${STYLE}</style></head><body>` +
    `<h1>${escapeXml(r.title)}</h1><p class="sub">${escapeXml(task)}<br>${escapeXml(r.createdAt)} · seed ${r.task.seed} · total ${duration(r.timings['total'] ?? NaN)}</p>` +
    `<div class="reading">${reading}</div>` +
    `<h2>Methods on the same ${r.task.labelled} labels</h2>${methodsTable(r, best)}${charts(r, best)}` +
    `<h2>Self-training rounds</h2>${selfTrainingTable(r)}` +
    (r.starts && r.starts.length > 0 ? `<h2>Pretrained starts</h2>${startsTable(r)}` : '') +
    `<h2>Settings</h2><div class="grid2"><div>${keyValueTable(r.settings)}</div><div>${keyValueTable({ data: r.task.data, weights: r.task.weights, ...r.environment })}</div>` +
    `<div>${keyValueTable(r.timings, (v) => duration(Number(v)))}</div></div>` +
    '</body></html>\n';
}
