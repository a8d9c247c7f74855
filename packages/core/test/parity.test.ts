import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runParity } from './parity_helpers.js';

// Fixtures made with:
//   python3 tools/fixtures/make_fixtures.py resnet20 packages/core/test/fixtures
//   python3 tools/fixtures/make_fixtures.py vgg_narrow packages/core/test/fixtures
// i.e. seeded torchvision-named weights (BN affine and running statistics randomised), an input
// batch, eval and train logits, the cross-entropy loss, every parameter's gradient, and the state
// dict after one SGD step (lr 0.1, momentum 0.9, weight decay 5e-4).
const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url));

describe.each(['resnet20', 'vgg_narrow'])('PyTorch parity: %s', (name) => {
  it('matches logits (eval and train), loss, gradients and one SGD step', async () => {
    const r = await runParity(fixtures, name);
    console.log(`${name}: ${JSON.stringify(r)}`);
    // float32 forward through ~20 layers in another summation order: ~1e-6 relative is typical;
    // 1e-4 of the logits' scale is the bar.
    expect(r.logitsEval).toBeLessThan(1e-4);
    expect(r.logitsTrain).toBeLessThan(1e-4);
    expect(r.loss).toBeLessThan(1e-4);
    // Gradients go back through batch statistics; each is compared to its own tensor's scale.
    expect(r.worstGrad[1]).toBeLessThan(1e-3);
    // After one step a weight differs from PyTorch's by lr x its gradient error at most.
    expect(r.worstStep[1]).toBeLessThan(1e-4);
  });
});
