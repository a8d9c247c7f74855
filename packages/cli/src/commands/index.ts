/**
 * Every command of the CLI, in the order help lists them.
 */
import { infoCommand } from './info.js';
import { inspectCommand } from './inspect.js';
import { quickstartCommand } from './quickstart.js';
import type { Command } from './types.js';

/** The commands, in help order. */
export const COMMANDS: readonly Command[] = [quickstartCommand, infoCommand, inspectCommand];
