// Runs in every test file. Most native tests are synchronous, and between synchronous tests Vitest's
// worker only runs microtasks, so the replies to its progress messages wait; a file whose tests block
// for more than 60 s in a row (the CUDA suites on the simulator) then fails with "Timeout calling
// onTaskUpdate" although every test passed. One turn of the event loop after each test lets them in.
import { afterEach } from 'vitest';

afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
