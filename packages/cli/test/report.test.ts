import { describe, expect, it } from 'vitest';
import { barChart, bestMethod, heatmap, lineChart, niceTicks, readResult, renderReport, type RunReport } from '@graft/cli';

/** A small report with known numbers: scratch worst, self-train best. */
export function sampleReport(): RunReport {
  const names = ['sandal', 'shirt', 'sneaker', 'bag', 'ankle boot'];
  const eye = (right: number): number[][] => names.map((_, i) => names.map((__, j) => (i === j ? right : j === (i + 1) % 5 ? 100 - right : 0)));
  const method = (m: RunReport['methods'][number]['method'], acc: number): RunReport['methods'][number] => ({
    method: m, testAccuracy: acc / 100, macroF1: acc / 100 - 0.01, seconds: 10, confusion: eye(acc), description: `${m} <desc>`,
  });
  return {
    title: 'Quickstart <test>', createdAt: '2026-11-22T12:00:00.000Z',
    task: { source: 'classes 0-4', classNames: names, classes: [5, 6, 7, 8, 9], labelsPerClass: 10, labelled: 50, pool: 6200, test: 500, data: 'bundled', weights: 'w.safetensors', seed: 0 },
    methods: [method('scratch', 70), method('linear-probe', 80), method('fine-tune', 85), method('self-train', 88)],
    curves: [{ name: 'scratch', points: [[2, 1.6], [4, 1.2], [6, 0.9]] }, { name: 'fine-tune', points: [[2, 0.8], [4, 0.5]] }],
    selfTraining: [
      { round: 0, keptPerClass: [], pseudoLabelAccuracy: null, threshold: null, validationAccuracy: 0.8, testAccuracy: 0.85, macroF1: 0.84, accepted: true, seconds: 10 },
      { round: 1, keptPerClass: [150, 150, 120, 150, 150], pseudoLabelAccuracy: 0.95, threshold: 0.8, validationAccuracy: 0.9, testAccuracy: 0.88, macroF1: 0.87, accepted: true, seconds: 30 },
    ],
    settings: { seed: 0, model: 'resnet20' }, timings: { total: 125, scratch: 10 }, environment: { isa: 'avx2+fma', threads: 2 },
  };
}

describe('report renderer', () => {
  it('renders a self-contained page with every section and escapes text', () => {
    const html = renderReport(sampleReport());
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|src="http/);
    expect(html).toContain('Quickstart &lt;test&gt;');
    expect(html).toContain('scratch &lt;desc&gt;');
    expect((html.match(/<svg /g) ?? []).length).toBe(3);
    expect(html).toContain('Confusion matrix of the best model (self-train)');
    expect(html).toContain('<td>150</td><td>150</td><td>120</td>');
    expect(html).toContain('95.0%');
    expect(html).toContain('2 min 05 s');
  });

  it('reads the result in plain words: gains over scratch, the best model, self-training, its most frequent mistake', () => {
    const text = readResult(sampleReport()).join(' ');
    expect(text).toContain('from scratch classifies 70.0% of the 500 test images');
    expect(text).toContain('fine-tune 85.0% (+15.0 points)');
    expect(text).toContain('The best model is self-train: 88.0%');
    expect(text).toContain('taking a sandal for a shirt (12 of 100');
    expect(text).toContain('teacher, fine-tuned on the labels less a held-out fifth, scored 85.0%');
    expect(text).toContain('reached 88.0% (+3.0 points over its teacher)');
    expect(text).not.toContain('Negative transfer');
    const negative = sampleReport();
    (negative.methods[1] as { testAccuracy: number }).testAccuracy = 0.6;
    expect(readResult(negative).join(' ')).toContain('Negative transfer: linear-probe did worse');
    const stopped = sampleReport();
    stopped.selfTraining.push({ round: 2, keptPerClass: [9, 9, 9, 9, 9], pseudoLabelAccuracy: 0.9, threshold: 0.7, validationAccuracy: 0.8, testAccuracy: 0.86, macroF1: 0.85, accepted: false, seconds: 30 });
    expect(readResult(stopped).join(' ')).toContain("Round 2's student did worse on the held-out labels than the best so far");
    expect(renderReport(stopped)).toContain('<td>no</td>');
  });

  it('draws charts: nice ticks, one bar per value, one heatmap cell per count', () => {
    expect(niceTicks(0, 2.3, 5)).toEqual([0, 0.5, 1, 1.5, 2, 2.5]);
    const bars = barChart([{ name: 'a', values: [0.5, 0.25] }, { name: 'b', values: [1, 0] }], { measures: [{ name: 'x', color: '#000' }, { name: 'y', color: '#111' }] });
    expect((bars.match(/<rect x="[\d.]+" y="[\d.]+" width/g) ?? []).length).toBe(4 + 2);
    expect(bars).toContain('>50.0%<');
    const heat = heatmap([[3, 1], [0, 4]], ['p', 'q']);
    expect((heat.match(/class="cell/g) ?? []).length).toBe(4);
    expect(heat).toContain('true p, predicted q: 1');
    const line = lineChart([{ name: 's', color: '#f00', points: [[0, 1], [10, 0.5]] }], { xLabel: 'step', yLabel: 'loss' });
    expect(line).toContain('<polyline');
    expect(bestMethod(sampleReport().methods).method).toBe('self-train');
  });
});
