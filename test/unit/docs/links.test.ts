import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

// What a user reads in a clone must not send them anywhere the clone lacks: every relative link
// in README.md, examples/README.md and docs/*.md names a file of the repository (and a heading, when it has a #).

const ROOT = path.resolve(__dirname, '../../..');
const PAGES = ['README.md', 'examples/README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to "-". */
function anchor(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
}

function anchors(file: string): Set<string> {
  const text = fs.readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchor(m[1])));
}

describe('links in README.md and docs/', () => {
  for (const page of PAGES) {
    it(`${page} links only to files and headings that exist`, () => {
      const text = fs.readFileSync(path.join(ROOT, page), 'utf8').replace(/```[\s\S]*?```/g, '');
      const broken: string[] = [];
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target)) continue;
        const [file, hash] = target.split('#');
        const resolved = file ? path.resolve(ROOT, path.dirname(page), file) : path.join(ROOT, page);
        if (!fs.existsSync(resolved)) broken.push(target);
        else if (hash && resolved.endsWith('.md') && !anchors(resolved).has(hash)) broken.push(target);
      }
      assert.deepEqual(broken, []);
    });
  }
  it('sends no reader to files outside the repository', () => {
    for (const page of PAGES) {
      assert.doesNotMatch(fs.readFileSync(path.join(ROOT, page), 'utf8'), /SPEC\.md|\/work\/shared|reference\/[a-z-]+\.md/, page);
    }
  });
});
