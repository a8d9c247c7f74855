// Lets a worker thread run this package's TypeScript sources directly (tests import the sources, not
// dist/): `node --import ./dev/register-ts.mjs worker.ts`. Published builds run compiled JavaScript and
// never load this file.
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
