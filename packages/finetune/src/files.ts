/**
 * Small file helpers: JSON written atomically (temp file in the same folder, fsync, rename), so a
 * reader never sees half a file and an interrupted write leaves the previous version.
 */
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Writes `value` as pretty JSON to `file` atomically.
 * @example
 * writeJsonAtomic('runs/a/trainer_state.json', { step: 100 });
 */
export function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, `${JSON.stringify(value, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
