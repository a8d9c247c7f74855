/**
 * Every command of the CLI, in the order help lists them.
 */
import { benchCommand } from './bench.js';
import { evalCommand, predictCommand } from './evaluate.js';
import { finetuneCommand } from './finetune.js';
import { infoCommand } from './info.js';
import { inspectCommand } from './inspect.js';
import { pretrainCommand } from './pretrain.js';
import { quickstartCommand } from './quickstart.js';
import { selftrainCommand } from './selftrain.js';
import type { Command } from './types.js';

/** The commands, in help order. */
export const COMMANDS: readonly Command[] = [
  quickstartCommand, pretrainCommand, finetuneCommand, selftrainCommand, evalCommand, predictCommand, inspectCommand, infoCommand, benchCommand,
];
