// Qinling functions whose code is a Swift object (docs/qinling.md): `code` {"source": "swift",
// "swift": {"container", "object"}} on create; on update python-qinlingclient garbles it into
// `source=swift&swift=container&swift=object` (the keys, not the values), so an update takes the
// code again from the object the function was created from. The object is read with the caller's
// own token from their project's account, then stored and checked as an uploaded package.
import type { Context } from 'koa';
import { tokenOf } from '../../auth';
import type { Identity } from '../../domain/identity';
import { requestInvalid } from '../../errors';
import type { Upload } from '../../runtimes/code-routes';
import type { SwiftCodeReader, SwiftObjectRef } from '../../runtimes/model';
import { SWIFT_KEY } from './present';

export interface QinlingSwiftDeps {
  /** Reads users' objects ([swift] enabled); absent: Swift code is refused. */
  swiftCode?: SwiftCodeReader;
}

const NOT_CONFIGURED = 'this Fresco has no [swift] section enabled (docs/runtimes.md), so it cannot take code from a Swift '
  + 'container; upload the package (--file or --package)';

/** The container and object of a `swift` value; FRESCO_REQUEST_INVALID naming the field. */
export function swiftRefOf(value: unknown, field = 'code.swift'): SwiftObjectRef {
  const v = (value ?? {}) as Record<string, unknown>;
  for (const key of ['container', 'object'] as const) {
    const s = v[key];
    // Dot segments would be resolved away by the URL, leaving the container.
    if (typeof s !== 'string' || s === '' || s.length > 1024 || s.includes('\0') || (key === 'container' && s.includes('/'))
      || s.split('/').some((part) => part === '.' || part === '..')) {
      throw requestInvalid(`${field}.${key}: must name the Swift ${key} holding the function's code, e.g. {"container": "functions", "object": "hello.zip"}`);
    }
  }
  return { container: v.container as string, object: v.object as string };
}

/** The object's code (`ref`, read once Swift is known to be configured) fetched as the caller, and
 *  the route config that remembers where it came from. */
export async function swiftUpload(ctx: Context, deps: QinlingSwiftDeps, ref: () => SwiftObjectRef, field = 'code.source'):
Promise<{ upload: Upload; config: Record<string, string> }> {
  if (!deps.swiftCode) throw requestInvalid(`${field}: "swift": ${NOT_CONFIGURED}`);
  const where = ref();
  const identity = (ctx.state as { identity?: Identity }).identity;
  const token = tokenOf((name) => ctx.get(name));
  if (!token || identity?.noauth) {
    throw requestInvalid(`${field}: "swift": the object is read with your Keystone token, and this Fresco runs without Keystone (noauth)`);
  }
  const upload = await deps.swiftCode.fetch(token, identity!.projectId, where);
  return { upload, config: { [SWIFT_KEY]: JSON.stringify(where) } };
}

/** The object an update with `source=swift` takes its code from: a well-formed `swift` field
 *  (clients other than python-qinlingclient), else the one the function came from. */
export function swiftRefForUpdate(fields: Record<string, string>, config: Record<string, string>): SwiftObjectRef {
  try {
    const sent = JSON.parse(fields.swift ?? '') as unknown;
    if (sent && typeof sent === 'object') return swiftRefOf(sent, 'swift');
  } catch { /* the client's garbled `swift=container&swift=object` */ }
  if (config[SWIFT_KEY]) return swiftRefOf(JSON.parse(config[SWIFT_KEY]), 'swift');
  throw requestInvalid('source: "swift": python-qinlingclient sends no container or object on update (only their names); '
    + 'a function created from a package cannot switch to Swift: create a new function with --container and --object');
}
