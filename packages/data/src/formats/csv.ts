/**
 * CSV of numeric features and one label column. Labels may be integers (class indices) or names
 * (mapped to indices in sorted order). Quoted fields are not supported: features are numbers.
 */
import { TensorDataset } from '../dataset.js';
import { readWhole } from './files.js';

/** Options of {@link csvDataset}. */
export interface CsvOptions {
  /** Name (needs a header) or 0-based column number of the label; default: the last column. */
  labelColumn?: string | number;
  /** Whether the first row is a header; default: detected (a first row with a non-numeric feature cell). */
  header?: boolean;
  delimiter?: string;
}

function parseRows(text: string, delimiter: string): { cells: string[]; line: number }[] {
  const rows: { cells: string[]; line: number }[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim().length > 0) rows.push({ cells: line.split(delimiter).map((c) => c.trim()), line: i + 1 });
  });
  return rows;
}

function labelIndex(option: string | number | undefined, header: string[] | undefined, width: number, file: string): number {
  if (option === undefined) return width - 1;
  if (typeof option === 'number') {
    if (!Number.isInteger(option) || option < 0 || option >= width) throw new Error(`csvDataset: ${file} has ${width} columns; labelColumn ${option} is out of range`);
    return option;
  }
  const at = header ? header.indexOf(option) : -1;
  if (at < 0) throw new Error(`csvDataset: ${file} has no column named '${option}' (header: ${header ? header.join(', ') : 'none'})`);
  return at;
}

function mapLabels(raw: string[], lines: number[], file: string): { labels: Int32Array; classNames?: string[] } {
  if (raw.every((s) => /^\d+$/.test(s))) return { labels: Int32Array.from(raw, Number) };
  if (raw.some((s) => s.length === 0)) throw new Error(`csvDataset: ${file} line ${lines[raw.findIndex((s) => s.length === 0)]} has an empty label`);
  const classNames = [...new Set(raw)].sort();
  const index = new Map(classNames.map((n, i) => [n, i]));
  return { labels: Int32Array.from(raw, (s) => index.get(s) as number), classNames };
}

/**
 * Reads a CSV file into float32 features `[n, f]` and int32 labels.
 * @example
 * const iris = await csvDataset('iris.csv', { labelColumn: 'species' }); // classNames from the species
 */
export async function csvDataset(file: string, options: CsvOptions = {}): Promise<TensorDataset> {
  const rows = parseRows((await readWhole(file, 'csvDataset')).toString('utf8'), options.delimiter ?? ',');
  if (rows.length === 0) throw new Error(`csvDataset: ${file} is empty`);
  const first = rows[0] as { cells: string[]; line: number };
  const width = first.cells.length;
  // A header is detected when a non-label cell of the first row is not a number.
  const guessLabelAt = typeof options.labelColumn === 'number' ? options.labelColumn : width - 1;
  const hasHeader = options.header ?? (typeof options.labelColumn === 'string'
    || first.cells.some((c, i) => i !== guessLabelAt && (c.length === 0 || Number.isNaN(Number(c)))));
  const header = hasHeader ? first.cells : undefined;
  const body = hasHeader ? rows.slice(1) : rows;
  const labelAt = labelIndex(options.labelColumn, header, width, file);
  const f = width - 1;
  const features = new Float32Array(body.length * f);
  const rawLabels: string[] = [];
  body.forEach(({ cells, line }, r) => {
    if (cells.length !== width) throw new Error(`csvDataset: ${file} line ${line} has ${cells.length} fields, expected ${width}`);
    let k = 0;
    cells.forEach((cell, c) => {
      if (c === labelAt) return;
      const v = cell.length === 0 ? NaN : Number(cell);
      if (Number.isNaN(v)) throw new Error(`csvDataset: ${file} line ${line} column ${c + 1} is '${cell}', not a number`);
      features[r * f + k++] = v;
    });
    rawLabels.push(cells[labelAt] as string);
  });
  const { labels, classNames } = mapLabels(rawLabels, body.map((b) => b.line), file);
  return new TensorDataset(features, [body.length, f], labels, { classNames, name: file });
}
