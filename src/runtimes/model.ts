// Functions from code (docs/runtimes.md): runtimes and code packages, and the store ports that
// keep them. No I/O here.
import { createHash } from 'node:crypto';

/** A runtime an operator registered: a name routes use and the image that implements the runtime contract. */
export interface Runtime {
  id: string;
  name: string;
  image: string;
  description: string;
  createdAt: Date;
  updatedAt: Date;
}

export type NewRuntime = Pick<Runtime, 'name' | 'image' | 'description'>;

/** Keeps runtimes. Names are unique: create throws ConflictError FRESCO_RUNTIME_EXISTS. */
export interface RuntimeStore {
  list(): Promise<Runtime[]>;
  /** Undefined when there is no runtime of that name. */
  get(name: string): Promise<Runtime | undefined>;
  create(runtime: NewRuntime): Promise<Runtime>;
  /** False when there was no such runtime; throws ConflictError FRESCO_RUNTIME_IN_USE while routes use it. */
  delete(name: string): Promise<boolean>;
}

/** A code package's name in every store: the sha256 of its bytes, hex. */
export function packageDigest(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

/** Keeps code packages by the sha256 of their bytes, for the Keystone project whose routes use
 *  them (a store may keep each project's apart, as Swift does: a container per project). A store
 *  that cannot be reached throws FRESCO_PACKAGE_STORE_UNAVAILABLE (503) and has kept nothing. */
export interface PackageStore {
  /** Stores `content` under `digest` (its sha256, hex); storing the same bytes twice is a no-op. */
  put(projectId: string, digest: string, content: Buffer): Promise<void>;
  /** The bytes, verified against `digest`; undefined when absent; throws FRESCO_PACKAGE_CORRUPT on a mismatch. */
  get(projectId: string, digest: string): Promise<Buffer | undefined>;
  /** Removes those of `digests` that no route or route version of the project refers to any more. */
  deleteUnreferenced(projectId: string, digests: string[]): Promise<void>;
}

/** Where a function's code is: a container and an object of the caller's project's Swift account. */
export interface SwiftObjectRef {
  container: string;
  object: string;
}

/** Reads a function's code from the caller's Swift account with the caller's own token. */
export interface SwiftCodeReader {
  /** The object as an uploaded file (`name`, bytes), not yet checked as a package. */
  fetch(token: string, projectId: string, ref: SwiftObjectRef): Promise<{ name: string; content: Buffer }>;
}
