// Functions from code (docs/runtimes.md): runtimes and code packages, and the store ports that
// keep them. No I/O here.

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

/** Keeps code packages by the sha256 of their bytes. */
export interface PackageStore {
  /** Stores `content` under `digest` (its sha256, hex); storing the same bytes twice is a no-op. */
  put(digest: string, content: Buffer): Promise<void>;
  /** The bytes, verified against `digest`; undefined when absent; throws FRESCO_PACKAGE_CORRUPT on a mismatch. */
  get(digest: string): Promise<Buffer | undefined>;
  /** Removes those of `digests` that no route refers to any more. */
  deleteUnreferenced(digests: string[]): Promise<void>;
}
