// Fakes in unit tests: a static of a class (how a pool makes its containers) swapped for the tests
// of one describe block, and put back after them.

/** In the enclosing describe: `target[key]` is `fake` from before its first test to after its last. */
export function swapDuring(target: object, key: string, fake: unknown): void {
  const slot = target as Record<string, unknown>;
  let original: unknown;
  before(() => {
    original = slot[key];
    slot[key] = fake;
  });
  after(() => {
    slot[key] = original;
  });
}
