// Swift names in ceilometermiddleware events are URL-quoted, and non-ASCII ones twice over: the
// WSGI path (UTF-8 bytes read as latin-1) is re-encoded as UTF-8 before quoting, so "é" arrives as
// "%C3%83%C2%A9". Decoding undoes both layers, but the second only when it round-trips, so a
// fixed middleware (single encoding) still decodes right.

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes a quoted Swift container/object name as ceilometermiddleware writes it; never throws. */
export function decodeSwiftName(quoted: string): string {
  const once = decodeBytes(percentDecode(quoted)) ?? percentDecode(quoted).toString('latin1');
  return undoLatin1(once) ?? once;
}

// Byte-level percent decoding: decodeURIComponent would throw on %E9 (a latin-1 byte) or on a
// stray "%".
function percentDecode(s: string): Buffer {
  const out: number[] = [];
  const bytes = Buffer.from(s, 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    const hex = bytes[i] === 0x25 && i + 2 < bytes.length ? bytes.subarray(i + 1, i + 3).toString('latin1') : '';
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      out.push(parseInt(hex, 16));
      i += 2;
    } else {
      out.push(bytes[i]);
    }
  }
  return Buffer.from(out);
}

function decodeBytes(b: Buffer): string | undefined {
  try {
    return utf8.decode(b);
  } catch {
    return undefined;
  }
}

// The latin-1 round trip: only a string made of U+0000-U+00FF can be the mojibake of UTF-8 bytes.
function undoLatin1(s: string): string | undefined {
  if (!/[\u0080-\u00ff]/.test(s) || /[^\u0000-\u00ff]/.test(s)) return undefined;
  return decodeBytes(Buffer.from(s, 'latin1'));
}
