// The one list of headers Fresco treats as credentials: the authentication middleware reads its
// token from them and the run service removes all of them before a function sees a request, so
// the two cannot drift apart (issue 18).

/** Headers a caller's Keystone token may arrive in, in the order the middleware reads them. */
export const TOKEN_HEADERS: readonly string[] = Object.freeze(['X-Auth-Token', 'X-Storage-Token']);

/** Every header that carries a credential; none of them ever reaches a function. */
export const CREDENTIAL_HEADERS: readonly string[] = Object.freeze([
  ...TOKEN_HEADERS, 'X-Subject-Token', 'X-Service-Token', 'Authorization', 'Proxy-Authorization', 'Cookie',
]);

const CREDENTIALS = new Set(CREDENTIAL_HEADERS.map((h) => h.toLowerCase()));

/** True when `name` (any case) is one of CREDENTIAL_HEADERS. */
export function isCredentialHeader(name: string): boolean {
  return CREDENTIALS.has(name.toLowerCase());
}

/** A test for CREDENTIAL_HEADERS plus the operator's `extra` ([DEFAULT] credential_headers), any case. */
export function credentialTest(extra: readonly string[] = []): (name: string) => boolean {
  if (extra.length === 0) return isCredentialHeader;
  const all = new Set([...CREDENTIALS, ...extra.map((h) => h.trim().toLowerCase())]);
  return (name) => all.has(name.toLowerCase());
}

/** The caller's Keystone token: the first non-empty TOKEN_HEADERS value, trimmed; '' when none. */
export function tokenOf(get: (name: string) => string): string {
  for (const name of TOKEN_HEADERS) {
    const value = get(name).trim();
    if (value) return value;
  }
  return '';
}
