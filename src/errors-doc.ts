import fs from 'node:fs';
import path from 'node:path';
import { ERROR_REGISTRY } from './errors';

// docs/errors.md is generated from the error registry: `npm run docs:errors` rewrites it, and a
// unit test fails while the file differs from what this renders.

/** Where the generated page lives (run from the sources, with tsx). */
export const ERRORS_DOC = path.resolve(__dirname, '../docs/errors.md');

/** docs/errors.md as the registry says it: every registered code, its status, retry and meaning. */
export function renderErrorsDoc(): string {
  const rows = ERROR_REGISTRY.map((s) =>
    `| \`${s.code}\` | ${s.status} | ${s.retryable ? 'yes' : 'no'} | ${s.meaning} |`);
  return [
    '# Error codes',
    '',
    '<!-- Generated from src/errors.ts by `npm run docs:errors`; edit the registry, not this file. -->',
    '',
    'Every error answer is `{"error": {"message": "...", "code": "FRESCO_...", "request_id": "req-..."}}`.',
    'The message says what to change; the code is stable for scripts. "Retry" says whether the same',
    'request can succeed later unchanged (an async call that meets one goes back to the queue).',
    '',
    '| code | status | retry | meaning |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

if (require.main === module) {
  fs.writeFileSync(ERRORS_DOC, renderErrorsDoc());
  process.stdout.write(`wrote ${ERRORS_DOC} (${ERROR_REGISTRY.length} codes)\n`);
}
