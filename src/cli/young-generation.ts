import v8 from 'node:v8';

// Node's young generation (V8's new space) grows to 16 MB semi-spaces while a process starts
// (loading modules, migrating the database) and never shrinks again: ~15 MB of an idle Fresco's
// RSS. bin/fresco holds it at its initial size while Fresco starts, then lets it grow again as
// calls need it (V8 reads the growth factor at each growth): idle processes stay small, and hot
// calls are not slowed as a permanently small young generation would slow them (docs/operations.md).

/** V8's --semi-space-growth-factor default (Node 20 to 22). */
const DEFAULT_GROWTH = 2;

/** True when the operator sized the young generation themselves (node flags or NODE_OPTIONS). */
export function youngGenerationGiven(execArgv: readonly string[], nodeOptions = ''): boolean {
  return [...execArgv, nodeOptions].some((a) => /semi[-_]space/.test(a));
}

/** Keeps the young generation at its initial size until the returned function is called (once started). */
export function holdYoungGeneration(): () => void {
  if (youngGenerationGiven(process.execArgv, process.env.NODE_OPTIONS)) return () => undefined;
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  let released = false;
  return () => {
    if (released) return;
    released = true;
    v8.setFlagsFromString(`--semi-space-growth-factor=${DEFAULT_GROWTH}`);
  };
}
