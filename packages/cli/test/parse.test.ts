import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMAND_SPECS, TRAINING_FLAGS, UsageError, closest, editDistance, parseCommandLine, trainingArgumentsFrom, type CommandSpec } from '@graft/cli';

const spec: CommandSpec = {
  name: 'train', summary: 's', examples: ['graft train'],
  positionals: [{ name: 'file', description: 'a file', required: true }],
  flags: [...TRAINING_FLAGS, { name: 'mode', type: 'string', choices: ['a', 'b'], description: 'm' }, { name: 'ids', type: 'list', description: 'l' }],
};

describe('parseCommandLine', () => {
  it('converts kebab-case flags to typed camelCase values, in both --x v and --x=v forms', () => {
    const p = parseCommandLine(['train', 'f.bin', '--learning-rate', '0.01', '--num-train-epochs=3', '--load-best-model-at-end', '--ids', '1,2', '--json'], [spec]);
    expect(p.flags).toEqual({ learningRate: 0.01, numTrainEpochs: 3, loadBestModelAtEnd: true, ids: ['1', '2'] });
    expect(p.positionals).toEqual(['f.bin']);
    expect(p.json).toBe(true);
    expect(trainingArgumentsFrom(p.flags, { outputDir: 'o' })).toMatchObject({ outputDir: 'o', learningRate: 0.01, numTrainEpochs: 3, loadBestModelAtEnd: true });
  });

  it('suggests the closest command and flag', () => {
    expect(() => parseCommandLine(['quikstart'], COMMAND_SPECS)).toThrow(/unknown command 'quikstart'; did you mean 'quickstart'\?/);
    expect(() => parseCommandLine(['train', 'f', '--learning-rat', '1'], [spec])).toThrow(/did you mean '--learning-rate'/);
    expect(() => parseCommandLine(['train', 'f', '--mode', 'c'], [spec])).toThrow(/--mode must be one of a, b/);
  });

  it('rejects bad values and missing positionals as usage errors', () => {
    expect(() => parseCommandLine(['train', 'f', '--seed', '1.5'], [spec])).toThrow(UsageError);
    expect(() => parseCommandLine(['train', 'f', '--learning-rate'], [spec])).toThrow(/needs a value/);
    expect(() => parseCommandLine(['train'], [spec])).toThrow(/needs <file>/);
    expect(() => parseCommandLine(['train', 'a', 'b'], [spec])).toThrow(/at most 1 positional/);
    expect(parseCommandLine(['train', '--help'], [spec]).help).toBe(true);
  });

  it('reads --config (camelCase or kebab-case keys); the command line wins; unknown keys are named', () => {
    const dir = mkdtempSync(join(tmpdir(), 'graft-cfg-'));
    const file = join(dir, 'run.json');
    writeFileSync(file, JSON.stringify({ learningRate: 0.1, 'num-train-epochs': 4, ids: [3, 4] }));
    const p = parseCommandLine(['train', 'f', '--config', file, '--learning-rate', '0.2'], [spec]);
    expect(p.flags).toEqual({ learningRate: 0.2, numTrainEpochs: 4, ids: ['3', '4'] });
    writeFileSync(file, JSON.stringify({ learningRat: 0.1 }));
    expect(() => parseCommandLine(['train', 'f', '--config', file], [spec])).toThrow(/unknown key 'learningRat'.*did you mean 'learningRate'/);
  });
});

describe('edit distance suggestions', () => {
  it('measures Levenshtein distance and only suggests near words', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(closest('fintune', ['finetune', 'eval'])).toBe('finetune');
    expect(closest('zzzzzz', ['finetune', 'eval'])).toBeUndefined();
  });
});
