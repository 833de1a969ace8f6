// The code side of a route (docs/runtimes.md): `runtime`, `entry`, `calling` and the package
// (`code: {name, data}` in JSON, or an uploaded file). Checks the runtime and the package, stores
// the package by digest and gives the route fields; releases packages no route uses any more.
import { z } from 'zod';
import { requestInvalid, runtimeNotFound } from '../errors';
import type { Route } from '../domain/models';
import { log } from '../log';
import { checkPackage, PackageLimits } from './archive';
import type { PackageStore, RuntimeStore } from './model';

/** An uploaded file: its name (`hello.py`, `code.zip`) and bytes. */
export interface Upload {
  name: string;
  content: Buffer;
}

const BASE64 = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

/** The code fields a route create or update accepts. */
export const codeFields = {
  runtime: z.string({ error: 'must be a string' }).regex(/^[A-Za-z0-9_.-]{1,255}$/, 'must name a runtime (GET /v1/runtimes)'),
  entry: z.string({ error: 'must be a string' }).max(255)
    .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.[A-Za-z_$][A-Za-z0-9_$]*$/, 'must be "module.function", e.g. "hello.main"'),
  calling: z.enum(['lambda', 'qinling'], { error: 'must be "lambda" or "qinling"' }),
  code: z.strictObject({
    name: z.string({ error: 'must be the file name, e.g. "hello.py" or "code.zip"' }),
    data: z.string({ error: 'must be the base64 of the file' }).regex(BASE64, 'must be base64'),
  }, { error: 'must be {"name": "hello.py", "data": "<base64>"}' }),
};

export type CodeInput = Partial<{ [K in keyof typeof codeFields]: z.output<(typeof codeFields)[K]> }>;

/** The route fields of a code route. */
export type CodeFields = Pick<Route, 'runtime' | 'entry' | 'calling' | 'codeDigest' | 'codeFile'>;

/** Checks and stores packages for routes. */
export class CodeRoutes {
  constructor(private readonly deps: {
    packages: Pick<PackageStore, 'put' | 'deleteUnreferenced'>; runtimes: Pick<RuntimeStore, 'get'>; limits: PackageLimits;
  }) {}

  /** True when the input asks for a code route (or changes one's code side). */
  wants(input: CodeInput, upload?: Upload): boolean {
    return Boolean(input.runtime ?? input.entry ?? input.calling ?? input.code ?? upload);
  }

  /** The code fields for `input` over `current` (a route being updated); stores the package.
   *  Throws FRESCO_REQUEST_INVALID, FRESCO_RUNTIME_NOT_FOUND or FRESCO_PACKAGE_INVALID (nothing stored),
   *  or FRESCO_PACKAGE_STORE_UNAVAILABLE when the package store cannot take it. */
  async prepare(projectId: string, input: CodeInput, upload: Upload | undefined, prefix: string, current?: Route): Promise<CodeFields> {
    const runtime = input.runtime ?? current?.runtime ?? undefined;
    if (!runtime) throw requestInvalid(`${prefix}runtime: required for a function from code, e.g. "python3"`);
    if (!(await this.deps.runtimes.get(runtime))) throw runtimeNotFound(runtime, `${prefix}runtime`);
    const file = upload ?? (input.code && { name: input.code.name, content: Buffer.from(input.code.data, 'base64') });
    const entry = input.entry ?? current?.entry ?? undefined;
    if (!entry) throw requestInvalid(`${prefix}entry: required for a function from code, e.g. "hello.main"`);
    if (!file) {
      if (!current?.codeDigest) throw requestInvalid(`${prefix}code: required, e.g. {"name": "hello.py", "data": "<base64>"} or a multipart file part`);
      return { runtime, entry, calling: input.calling ?? current.calling ?? 'lambda', codeDigest: current.codeDigest, codeFile: current.codeFile ?? null };
    }
    const checked = await checkPackage(file.name, file.content, this.deps.limits);
    checkEntry(entry, checked.file, prefix);
    await this.deps.packages.put(projectId, checked.digest, file.content);
    return { runtime, entry, calling: input.calling ?? current?.calling ?? 'lambda', codeDigest: checked.digest, codeFile: checked.file ?? null };
  }

  /** Forgets the project's packages no route uses any more (after a route changed code, went or
   *  failed to be written). Never throws: the route is already written, so a package the store
   *  could not remove is only logged and stays stored. */
  async release(projectId: string, ...digests: Array<string | null | undefined>): Promise<void> {
    const some = digests.filter((d): d is string => Boolean(d));
    if (some.length === 0) return;
    await this.deps.packages.deleteUnreferenced(projectId, some)
      .catch((err: unknown) => log.warn({ err, projectId, digests: some }, 'removing unused code packages failed; they stay stored'));
  }
}

// A single file is its module: hello.py answers to entry "hello.<function>".
function checkEntry(entry: string, file: string | undefined, prefix: string): void {
  if (file === undefined) return;
  const module = entry.slice(0, entry.lastIndexOf('.'));
  const base = file.replace(/\.[^.]*$/, '');
  if (module !== base) {
    throw requestInvalid(`${prefix}entry: the module "${module}" is not the uploaded file ${file} (expected "${base}.<function>")`);
  }
}
