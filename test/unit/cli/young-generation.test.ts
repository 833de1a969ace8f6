import assert from 'node:assert/strict';
import { youngGenerationGiven } from '../../../src/cli/young-generation';

describe('young generation held while Fresco starts (bin/fresco)', () => {
  it('leaves it alone when the operator sized it, as a node flag or in NODE_OPTIONS', () => {
    assert.equal(youngGenerationGiven([], ''), false);
    assert.equal(youngGenerationGiven(['--enable-source-maps'], '-r ./x.js'), false);
    assert.equal(youngGenerationGiven(['--max-semi-space-size=2'], ''), true);
    assert.equal(youngGenerationGiven([], '--max-old-space-size=512 --max_semi_space_size=8'), true);
    assert.equal(youngGenerationGiven([], '--semi-space-growth-factor=4'), true);
  });
});
