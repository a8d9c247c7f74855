/**
 * Progress of a training phase: on a terminal one redrawn bar line (step, loss, throughput, ETA);
 * elsewhere a plain line every few seconds, so logs of CI jobs and pipes stay readable.
 */
import type { TrainerCallbacks } from '@graft/finetune';

/** Where progress goes: a stream-like writer and whether it is a terminal. */
export interface ProgressSink {
  write(text: string): void;
  isTTY: boolean;
}

/** Options of {@link Progress}. */
export interface ProgressOptions {
  /** Images per step, for the throughput (default: steps per second is shown instead). */
  imagesPerStep?: number;
  /** Seconds between plain lines when not a terminal (default: `GRAFT_PROGRESS_SECONDS`, else 5). */
  plainEverySeconds?: number;
  /** Bar width in characters (default 24). */
  barWidth?: number;
  /** Clock in milliseconds (tests pass their own). */
  now?: () => number;
}

/**
 * Minutes and seconds: 75 -> '1:15'.
 * @example
 * clock(75); // '1:15'
 */
export function clock(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?:??';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}

/** Seconds between plain lines: the option, else GRAFT_PROGRESS_SECONDS (a positive number), else 5. */
function plainInterval(options: ProgressOptions): number {
  if (options.plainEverySeconds !== undefined) return options.plainEverySeconds;
  const fromEnv = Number(process.env.GRAFT_PROGRESS_SECONDS);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : 5;
}

/**
 * One phase's progress display.
 * @example
 * const p = new Progress({ write: (t) => process.stderr.write(t), isTTY: process.stderr.isTTY === true }, 'fine-tune');
 * p.update(10, 100, 0.42); p.finish('accuracy 81.2%');
 */
export class Progress {
  private readonly started: number;
  private lastPlain: number;
  private lastDraw = 0;
  private drawn = false;
  private readonly now: () => number;

  constructor(private readonly sink: ProgressSink, private readonly label: string, private readonly options: ProgressOptions = {}) {
    this.now = options.now ?? (() => performance.now());
    this.started = this.now();
    this.lastPlain = this.started;
  }

  /** The status text of a step: "step 10/100 loss 0.4200 123 img/s ETA 0:07". */
  line(step: number, total: number, loss: number): string {
    const seconds = (this.now() - this.started) / 1000;
    const rate = seconds > 0 ? step / seconds : 0;
    const speed = this.options.imagesPerStep ? `${Math.round(rate * this.options.imagesPerStep)} img/s` : `${rate.toFixed(1)} step/s`;
    const eta = rate > 0 ? clock((total - step) / rate) : '?:??';
    return `${this.label} step ${step}/${total} loss ${Number.isFinite(loss) ? loss.toFixed(4) : String(loss)} ${speed} ETA ${eta}`;
  }

  /** Reports a finished step; redraws the bar (at most 10 times a second) or prints a plain line now and then. */
  update(step: number, total: number, loss: number): void {
    const t = this.now();
    if (this.sink.isTTY) {
      if (t - this.lastDraw < 100 && step < total) return;
      this.lastDraw = t;
      const width = this.options.barWidth ?? 24;
      const filled = Math.round((Math.min(step, total) / Math.max(1, total)) * width);
      this.sink.write(`\r\x1b[2K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.line(step, total, loss)}`);
      this.drawn = true;
    } else if (t - this.lastPlain >= plainInterval(this.options) * 1000 || step === total) {
      this.lastPlain = t;
      this.sink.write(`${this.line(step, total, loss)}\n`);
    }
  }

  /** Ends the phase with a summary line. */
  finish(summary: string): void {
    const seconds = (this.now() - this.started) / 1000;
    if (this.drawn) this.sink.write('\r\x1b[2K');
    this.sink.write(`${this.label}: ${summary} (${seconds.toFixed(1)} s)\n`);
  }

  /** Trainer callbacks that feed this display. */
  callbacks(): TrainerCallbacks {
    return { onStepEnd: (s) => this.update(s.step, s.totalSteps, s.loss) };
  }
}

/**
 * A sink that discards everything (for --json runs that want no progress at all).
 * @example
 * new Progress(SILENT, 'x').update(1, 2, 0.5); // prints nothing
 */
export const SILENT: ProgressSink = { write: () => undefined, isTTY: false };
