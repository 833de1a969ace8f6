// Who the console acts as: kept in sessionStorage (gone with the tab), never in localStorage.

/** The signed-in user, or noauth's chosen project. */
export interface Session {
  mode: 'keystone' | 'noauth';
  /** The Keystone token sent as X-Auth-Token (keystone mode). */
  token?: string;
  projectId: string;
  projectName?: string;
  user?: string;
  /** The token's roles; noauth acts as admin. */
  roles: string[];
  expiresAt?: string;
}

const KEY = 'fresco.console.session';

/** The stored session, or undefined when none (or it has expired). */
export function loadSession(): Session | undefined {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Session | null;
    if (!s) return undefined;
    if (s.expiresAt && Date.parse(s.expiresAt) <= Date.now()) {
      sessionStorage.removeItem(KEY);
      return undefined;
    }
    return s;
  } catch {
    return undefined;
  }
}

/** Stores `s` for this tab; undefined signs out. */
export function saveSession(s: Session | undefined): void {
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
}

/** Members and admins write and run; a reader only reads (Fresco's default policy; the API decides anyway). */
export function canWrite(s: Session): boolean {
  return s.mode === 'noauth' || s.roles.includes('admin') || s.roles.includes('member');
}

/** Admins see the operator's screens. */
export function isAdmin(s: Session): boolean {
  return s.mode === 'noauth' || s.roles.includes('admin');
}
