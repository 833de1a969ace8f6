// Cheap checks on JSON text before it is parsed, so hostile notifications are refused by the decoder
// (and dead-lettered) instead of failing later, where the failure looks like a bug or an outage:
// PostgreSQL refuses NUL in text and jsonb, and deep nesting overflows the stack of every recursive
// walk after JSON.parse (JSON.stringify, the store, the function's own decoder).

/** Deepest nesting of arrays and objects a notification may have; oslo payloads are a handful deep. */
export const MAX_JSON_DEPTH = 64;

/** The first reason `text` is refused (a NUL escape, nesting deeper than `maxDepth`), or undefined. */
export function unsafeJson(text: string, maxDepth = MAX_JSON_DEPTH): string | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) {
        if (text.startsWith('u0000', i + 1)) return 'contains a NUL character (\\u0000)';
        i++;
      } else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b /* [ { */) {
      if (++depth > maxDepth) return `nests deeper than ${maxDepth} levels`;
    } else if (c === 0x5d || c === 0x7d /* ] } */) depth--;
  }
  return undefined;
}
