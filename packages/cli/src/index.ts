/**
 * @graft/cli: the `graft` command as a library: the CLI entry, its parser, the quickstart, progress
 * display, Ctrl-C handling and the HTML report renderer.
 *
 * @example
 * import { main, processIo } from '@graft/cli';
 * process.exitCode = await main(['quickstart', '--json'], processIo());
 */
export { main, processIo, EXIT, COMMAND_SPECS } from './cli.js';
export {
  UsageError, GLOBAL_FLAGS, parseCommandLine, readConfig, closest, editDistance, camelCase, kebabCase,
  type CommandSpec, type FlagSpec, type FlagType, type FlagValue, type ParsedCommand, type PositionalSpec,
} from './parse.js';
export { commandHelp, overviewHelp } from './help.js';
export { TRAINING_FLAGS, DATA_FLAGS, TARGET_FLAGS, MODEL_FLAGS, trainingArgumentsFrom, stringFlag, numberFlag, classesFlag } from './flags.js';
export { Progress, SILENT, clock, type ProgressOptions, type ProgressSink } from './progress.js';
export { InterruptHook, InterruptedError, EXIT_INTERRUPTED, mergeCallbacks } from './interrupt.js';
export {
  EVAL_TRANSFORM, TRAIN_TRANSFORM, loadTransferData, loadFashionMnist, requireFashionMnistDir, describeSource,
  type DataSource, type TransferData, type TransferDataOptions,
} from './data.js';
export { FrozenBatchNorm, buildModel, loadWeights, resolveDevice, type ModelName } from './model.js';
export { renderReport, readResult, bestMethod, percent, duration, METHOD_COLORS } from './report/html.js';
export { lineChart, barChart, heatmap, niceTicks, escapeXml, type LineSeries, type LineChartOptions, type BarGroup, type BarChartOptions } from './report/svg.js';
export type { RunReport, MethodResult, MethodName, SelfTrainingRow, TrainingCurve, TaskSummary } from './report/types.js';
export { runQuickstart, defaultBudget, type QuickstartOptions, type QuickstartResult, type QuickstartJson } from './quickstart/run.js';
export {
  runScratch, runLinearProbe, runFineTune, runSelfTraining, QuickstartInterrupted,
  type MethodBudget, type MethodContext, type MethodOutcome, type SelfTrainingOutcome,
} from './quickstart/methods.js';
export { collectInfo, type InfoJson } from './commands/info.js';
export { inspectWeights, whichModel, type InspectJson, type ModelFit, type TensorInfo } from './commands/inspect.js';
export { resultTable, timestampedDir, SHIPPED_WEIGHTS } from './commands/quickstart.js';
export type { CliIo, Command } from './commands/types.js';
export { cliVersion } from './version.js';
