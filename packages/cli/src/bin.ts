#!/usr/bin/env node
/**
 * The `graft` executable: runs the CLI on the process's arguments and exits with its code.
 */
import { main, processIo } from './cli.js';

process.exitCode = await main(process.argv.slice(2), processIo());
