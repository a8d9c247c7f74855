/**
 * Learning-rate schedules: constant, linear, cosine (with warm-up, as Hugging Face's
 * `get_*_schedule_with_warmup`), one-cycle (PyTorch's `OneCycleLR`, cosine annealing) and step decay.
 * A schedule is a pure function of the step, so resuming from a checkpoint needs only the step.
 */

/** Schedule names accepted by {@link lrMultiplier} and {@link LRScheduler}. */
export type ScheduleName = 'constant' | 'linear' | 'cosine' | 'onecycle' | 'step';

/** The schedule names, for validation and help text. */
export const SCHEDULE_NAMES: readonly ScheduleName[] = ['constant', 'linear', 'cosine', 'onecycle', 'step'];

/** Schedule settings. */
export interface ScheduleOptions {
  name: ScheduleName;
  /** Optimizer steps in the whole run (needed by linear, cosine and onecycle). */
  totalSteps: number;
  /** Linear warm-up from 0 over this many steps (constant, linear, cosine, step). */
  warmupSteps?: number;
  /** step: decay every `stepSize` steps by `gamma` (default 0.1). */
  stepSize?: number;
  gamma?: number;
  /** onecycle: fraction of steps spent increasing (default 0.3). */
  pctStart?: number;
  /** onecycle: start at maxLr / divFactor (default 25). */
  divFactor?: number;
  /** onecycle: end at startLr / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** cosine: number of cosine half-waves (default 0.5: one decay to 0). */
  numCycles?: number;
}

function cosineAnneal(start: number, end: number, pct: number): number {
  return end + ((start - end) / 2) * (1 + Math.cos(Math.PI * pct));
}

/** Checks a schedule's settings; throws an Error naming the bad one. */
export function validateSchedule(options: ScheduleOptions): void {
  const { name, totalSteps } = options;
  if (!SCHEDULE_NAMES.includes(name)) {
    throw new Error(`lrScheduler must be one of ${SCHEDULE_NAMES.join(', ')}, got '${String(name)}'`);
  }
  if (!Number.isInteger(totalSteps) || totalSteps < 1) {
    throw new Error(`lrScheduler '${name}': totalSteps must be an integer >= 1, got ${totalSteps}`);
  }
  const warmup = options.warmupSteps ?? 0;
  if (!Number.isInteger(warmup) || warmup < 0) {
    throw new Error(`lrScheduler '${name}': warmupSteps must be an integer >= 0, got ${warmup}`);
  }
  if (name === 'step' && (!Number.isInteger(options.stepSize) || (options.stepSize as number) < 1)) {
    throw new Error(`lrScheduler 'step': stepSize must be an integer >= 1, got ${options.stepSize}`);
  }
  const pct = options.pctStart ?? 0.3;
  if (name === 'onecycle' && !(pct > 0 && pct < 1)) {
    throw new Error(`lrScheduler 'onecycle': pctStart must be in (0, 1), got ${pct}`);
  }
}

/**
 * The factor applied to the base learning rate for the optimizer step with index `step` (0-based).
 * For onecycle the base learning rate is the peak (PyTorch's `max_lr`).
 * @example
 * lrMultiplier({ name: 'linear', totalSteps: 100, warmupSteps: 10 }, 5); // 0.5
 */
export function lrMultiplier(options: ScheduleOptions, step: number): number {
  const total = options.totalSteps;
  const warmup = options.warmupSteps ?? 0;
  if (options.name !== 'onecycle' && step < warmup) return step / Math.max(1, warmup);
  switch (options.name) {
    case 'constant':
      return 1;
    case 'linear':
      return Math.max(0, (total - step) / Math.max(1, total - warmup));
    case 'cosine': {
      const progress = Math.min(1, (step - warmup) / Math.max(1, total - warmup));
      const cycles = options.numCycles ?? 0.5;
      return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * 2 * cycles * progress)));
    }
    case 'step':
      return (options.gamma ?? 0.1) ** Math.floor(step / (options.stepSize as number));
    case 'onecycle': {
      // PyTorch OneCycleLR (two phases, cos annealing): phase ends at pct*total - 1 and total - 1.
      const start = 1 / (options.divFactor ?? 25);
      const end = start / (options.finalDivFactor ?? 1e4);
      const peakStep = (options.pctStart ?? 0.3) * total - 1;
      const lastStep = total - 1;
      if (step <= peakStep) return cosineAnneal(start, 1, peakStep <= 0 ? 1 : step / peakStep);
      return cosineAnneal(1, end, Math.min(1, (step - peakStep) / Math.max(1e-12, lastStep - peakStep)));
    }
  }
}

/** The part of an optimizer a scheduler drives: its parameter groups' learning rates. */
export interface HasParamGroups {
  paramGroups: Array<{ lr: number }>;
}

/**
 * Sets each parameter group's learning rate from its base rate and the schedule, step by step.
 * @example
 * const scheduler = new LRScheduler(optimizer, { name: 'cosine', totalSteps: 1000, warmupSteps: 50 });
 * for (...) { optimizer.step(); scheduler.step(); }
 */
export class LRScheduler {
  /** Base learning rates, one per parameter group, captured at construction. */
  readonly baseLrs: number[];
  private stepIndex = 0;

  constructor(
    private readonly optimizer: HasParamGroups,
    readonly options: ScheduleOptions,
  ) {
    validateSchedule(options);
    this.baseLrs = optimizer.paramGroups.map((g) => g.lr);
    this.apply();
  }

  /** Steps taken so far. */
  get currentStep(): number {
    return this.stepIndex;
  }

  /** Learning rates now in the groups. */
  get lastLrs(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** Advances one optimizer step and updates the groups' learning rates. */
  step(): void {
    this.stepIndex++;
    this.apply();
  }

  /** Serialisable state: the step (the schedule itself is a pure function of it). */
  stateDict(): { step: number; baseLrs: number[] } {
    return { step: this.stepIndex, baseLrs: [...this.baseLrs] };
  }

  /** Restores {@link stateDict}'s output. */
  loadStateDict(state: { step: number; baseLrs?: number[] }): void {
    if (!Number.isInteger(state.step) || state.step < 0) throw new Error(`LRScheduler.loadStateDict: bad step ${state.step}`);
    if (state.baseLrs) {
      if (state.baseLrs.length !== this.baseLrs.length) {
        throw new Error(`LRScheduler.loadStateDict: ${state.baseLrs.length} base rates for ${this.baseLrs.length} parameter groups`);
      }
      this.baseLrs.splice(0, this.baseLrs.length, ...state.baseLrs);
    }
    this.stepIndex = state.step;
    this.apply();
  }

  private apply(): void {
    const factor = lrMultiplier(this.options, Math.min(this.stepIndex, this.options.totalSteps - 1));
    this.optimizer.paramGroups.forEach((group, i) => {
      group.lr = (this.baseLrs[i] as number) * factor;
    });
  }
}
