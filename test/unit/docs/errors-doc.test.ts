import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

// Every error code the code can answer with is documented in docs/errors.md.

const ROOT = path.resolve(__dirname, '../../..');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []);
}

describe('docs/errors.md', () => {
  it('lists every FRESCO_* code used in src/', () => {
    const doc = fs.readFileSync(path.join(ROOT, 'docs/errors.md'), 'utf8');
    const used = new Set<string>();
    for (const file of sourceFiles(path.join(ROOT, 'src'))) {
      for (const m of fs.readFileSync(file, 'utf8').matchAll(/'(FRESCO_[A-Z_]+)'/g)) used.add(m[1]);
    }
    const missing = [...used].filter((code) => !doc.includes(`\`${code}\``));
    assert.deepEqual(missing, [], `undocumented codes: ${missing.join(', ')}`);
  });
});
