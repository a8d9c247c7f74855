/**
 * Ctrl-C during training: the first SIGINT asks the running Trainer to save a checkpoint at the next
 * optimizer-step boundary and stop (through `TrainerCallbacks.shouldInterrupt`); the command then
 * exits with 130 and `--resume` continues from that checkpoint. A second SIGINT quits at once.
 */
import type { TrainerCallbacks } from '@graft/finetune';

/** Exit status of a run stopped by Ctrl-C (128 + SIGINT), as shells report it. */
export const EXIT_INTERRUPTED = 130;

/**
 * Thrown by a command whose training was interrupted after its checkpoint was saved.
 * @example
 * if (result.stoppedBy === 'interrupt') throw new InterruptedError('runs/ft');
 */
export class InterruptedError extends Error {
  constructor(readonly outputDir: string) {
    super(`interrupted: a checkpoint was saved in ${outputDir}; run the same command with --resume to continue`);
    this.name = 'InterruptedError';
  }
}

/**
 * Listens for SIGINT while installed and tells Trainer callbacks to stop.
 * @example
 * const hook = new InterruptHook((t) => process.stderr.write(t)).install();
 * try { await new Trainer({ ..., callbacks: { ...progress.callbacks(), ...hook.callbacks() } }).train(); } finally { hook.uninstall(); }
 */
export class InterruptHook {
  private requested = false;
  private readonly handler = (): void => this.onSignal();

  constructor(private readonly say: (text: string) => void = () => undefined, private readonly quit: (code: number) => void = (code) => process.exit(code)) {}

  /** Whether Ctrl-C was pressed since install. */
  get interrupted(): boolean {
    return this.requested;
  }

  /** Starts listening (replacing Node's default exit on SIGINT). */
  install(): this {
    process.on('SIGINT', this.handler);
    return this;
  }

  /** Stops listening. */
  uninstall(): void {
    process.off('SIGINT', this.handler);
  }

  /** What a SIGINT does; public so tests can simulate one. */
  onSignal(): void {
    if (this.requested) {
      this.say('\nsecond Ctrl-C: quitting without waiting for the checkpoint\n');
      this.quit(EXIT_INTERRUPTED);
      return;
    }
    this.requested = true;
    this.say('\nCtrl-C: saving a checkpoint at the end of this step (Ctrl-C again to quit at once)\n');
  }

  /** The Trainer callback that stops training when interrupted. */
  callbacks(): TrainerCallbacks {
    return { shouldInterrupt: () => this.requested };
  }
}

/**
 * Merges Trainer callbacks: each hook calls every given one in order; shouldInterrupt is true if any says so.
 * @example
 * const callbacks = mergeCallbacks(progress.callbacks(), hook.callbacks());
 */
export function mergeCallbacks(...all: TrainerCallbacks[]): TrainerCallbacks {
  return {
    onStepEnd: (s) => { for (const c of all) c.onStepEnd?.(s); },
    onLog: (e) => { for (const c of all) c.onLog?.(e); },
    onEvaluate: (m, step) => { for (const c of all) c.onEvaluate?.(m, step); },
    onSave: (f, step) => { for (const c of all) c.onSave?.(f, step); },
    shouldInterrupt: () => all.some((c) => c.shouldInterrupt?.() === true),
  };
}
