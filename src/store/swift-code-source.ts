// Code taken from a user's Swift object (a Qinling function `--container C --object O`, docs/qinling.md):
// read from the caller's project's account with the caller's own token, so Swift decides what
// the caller may read, bounded by the package size limit before and while it downloads. The
// caller checks it as any upload (src/runtimes/archive.ts) and stores it in the package store.
import { packageInvalid, packageStoreUnavailable, swiftObjectForbidden, swiftObjectNotFound } from '../errors';
import type { Upload } from '../runtimes/code-routes';
import type { SwiftCodeReader, SwiftObjectRef } from '../runtimes/model';
import { drain, segment, type SwiftClient } from './swift-client';

const ZIP_MAGIC = Buffer.from('PK\x03\x04', 'latin1');

/** Reads objects from users' Swift accounts. */
export class SwiftCodeSource implements SwiftCodeReader {
  constructor(private readonly deps: { swift: Pick<SwiftClient, 'asUser'>; maxSize: number }) {}

  /** The object's bytes as an upload: a zip (by its content) named `package.zip`, else a single
   *  file named as the object's last path part. Throws FRESCO_SWIFT_OBJECT_NOT_FOUND (404),
   *  FRESCO_SWIFT_OBJECT_FORBIDDEN (403), FRESCO_PACKAGE_INVALID over the size limit, and
   *  FRESCO_PACKAGE_STORE_UNAVAILABLE when Swift fails. */
  async fetch(token: string, projectId: string, ref: SwiftObjectRef): Promise<Upload> {
    const path = `/${segment(ref.container)}/${ref.object.split('/').map(segment).join('/')}`;
    const res = await this.deps.swift.asUser(token, projectId, 'GET', path);
    if (res.status !== 200) {
      await drain(res);
      throw this.refusal(ref, res.status);
    }
    const declared = Number(res.headers.get('content-length') ?? 0);
    if (declared > this.deps.maxSize) {
      await drain(res);
      throw tooBig(ref, declared, this.deps.maxSize);
    }
    const content = await readCapped(res, this.deps.maxSize, ref);
    const zip = content.subarray(0, 4).equals(ZIP_MAGIC);
    return { name: zip ? 'package.zip' : ref.object.split('/').pop() ?? ref.object, content };
  }

  private refusal(ref: SwiftObjectRef, status: number): Error {
    if (status === 404) return swiftObjectNotFound(ref.container, ref.object);
    if (status === 401 || status === 403) return swiftObjectForbidden(ref.container, ref.object, status);
    return packageStoreUnavailable(`Swift answered HTTP ${status} to reading ${ref.container}/${ref.object}`);
  }
}

function tooBig(ref: SwiftObjectRef, size: number, max: number): Error {
  return packageInvalid(`the Swift object ${ref.container}/${ref.object} is ${size} bytes, over the limit of ${max} bytes`);
}

// Content-Length may be absent (chunked, a large object's manifest): the limit holds as it streams.
async function readCapped(res: Response, max: number, ref: SwiftObjectRef): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of res.body ?? []) {
    n += chunk.length;
    // Leaving the loop (the throw) cancels the stream: the rest is not downloaded.
    if (n > max) throw tooBig(ref, n, max);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}
