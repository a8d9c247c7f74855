/**
 * Output helpers shared by run.mjs and the suites: progress on stderr (stdout carries only results),
 * and an aligned text table.
 *
 * @example
 * import { progress, formatTable } from './report.mjs';
 * progress('gemm n=256 graft');
 * console.log(formatTable(['impl', 'seconds'], [{ impl: 'graft', seconds: 0.01 }]));
 */

/**
 * Writes one progress line to stderr.
 * @param {string} message
 * @example
 * progress('building the OpenBLAS harness');
 */
export function progress(message) {
  process.stderr.write(`${message}\n`);
}

/**
 * Formats a value for a table cell: integers as is, other numbers with 4 significant digits.
 * @param {unknown} value
 * @returns {string}
 * @example
 * formatCell(0.000123456); // '0.0001235'
 */
export function formatCell(value) {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return String(value);
    return Math.abs(value) >= 1e4 ? value.toFixed(0) : Number(value.toPrecision(4)).toString();
  }
  return String(value);
}

/**
 * An aligned table: a header row, a rule, one line per result; numbers align right.
 * @param {string[]} columns  the keys to show, in order
 * @param {object[]} rows
 * @returns {string}
 * @example
 * formatTable(['impl', 'gflops'], [{ impl: 'graft', gflops: 150.2 }]);
 */
export function formatTable(columns, rows) {
  const cells = rows.map((row) => columns.map((c) => formatCell(row[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  const numeric = columns.map((c) => rows.length > 0 && rows.every((r) => r[c] === undefined || typeof r[c] === 'number'));
  const line = (values) =>
    values.map((v, i) => (numeric[i] ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(columns), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}
