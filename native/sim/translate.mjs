#!/usr/bin/env node
// Turns a CUDA source into C++ for the host simulator (native/sim/README.md):
//   kernel<<<grid, block[, shared[, stream]]>>>(args)  ->  ::graft_sim::launch({grid, block, ...}, kernel, args)
//   extern __shared__ [__align__(n)] T name[];          ->  T* const name = (T*)::graft_sim::dynamic_shared();
// Everything else compiles as written against native/sim/include. Usage: translate.mjs in.cu out.cc
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: translate.mjs <in.cu> <out.cc>');
  process.exit(2);
}
const source = readFileSync(input, 'utf8');

// The kernel expression is a (qualified) name with optional template arguments, which contain no
// parentheses or nested angle brackets in src/cuda; the configuration runs to the first '>>>'.
const launch = /([A-Za-z_][\w:]*(?:<[^<>()]*>)?)\s*<<<([\s\S]*?)>>>\s*\(\s*(\)?)/g;
const dynamicShared = /extern\s+__shared__\s+(?:__align__\(\d+\)\s+)?([A-Za-z_][\w\s]*?)\s+([A-Za-z_]\w*)\s*\[\s*\]\s*;/g;

let launches = 0;
const translated = source
  .replace(launch, (match, kernel, config, closed) => {
    launches += 1;
    const call = `::graft_sim::launch(::graft_sim::LaunchConfig(${config.trim()}), ${kernel}`;
    // The line breaks the match held and the call does not, kept so that later lines keep their numbers.
    const lines = (text) => (text.match(/\n/g) ?? []).length;
    const breaks = '\n'.repeat(lines(match) - lines(call));
    return closed ? `${call})${breaks}` : `${call}, ${breaks}`;
  })
  .replace(dynamicShared, (_, type, name) =>
    `${type}* const ${name} = reinterpret_cast<${type}*>(::graft_sim::dynamic_shared());`);

if (/<<<|>>>/.test(translated)) {
  console.error(`translate.mjs: ${input}: a kernel launch was not understood`);
  process.exit(1);
}
mkdirSync(dirname(output), { recursive: true });
writeFileSync(output, `// Generated from ${input} by native/sim/translate.mjs (${launches} launches). Do not edit.\n#line 1 "${input}"\n${translated}`);
