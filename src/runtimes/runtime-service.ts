// Use cases on runtimes (docs/runtimes.md): an operator registers a name and an image that
// implements the runtime contract; routes name the runtime.
import { z } from 'zod';
import { requestInvalid, runtimeNotFound } from '../errors';
import type { RegistryPolicy } from '../domain/registry-policy';
import { enveloped, imageSchema, nameSchema, parseInput } from '../services/validation';
import type { Runtime, RuntimeStore } from './model';

/** The body of POST /v1/runtimes. */
export const runtimeCreateSchema = z.strictObject({
  name: nameSchema,
  image: imageSchema('fresco/runtime-python3:latest'),
  description: z.string({ error: 'must be a string' }).max(4096).optional(),
});

/** Lists, registers and removes runtimes; changes are heard through `onChange`. */
export class RuntimeService {
  constructor(private readonly deps: {
    store: RuntimeStore; registries?: Pick<RegistryPolicy, 'refusal'>; onChange?: () => void;
  }) {}

  list(): Promise<Runtime[]> {
    return this.deps.store.list();
  }

  /** Throws FRESCO_RUNTIME_NOT_FOUND. */
  async get(name: string): Promise<Runtime> {
    const runtime = await this.deps.store.get(name);
    if (!runtime) throw runtimeNotFound(name);
    return runtime;
  }

  /** Body `{"runtime": {name, image, description}}`; throws FRESCO_REQUEST_INVALID or FRESCO_RUNTIME_EXISTS. */
  async create(body: unknown): Promise<Runtime> {
    const example = '{"runtime": {"name": "python3", "image": "fresco/runtime-python3:latest"}}';
    const input = parseInput(runtimeCreateSchema, enveloped(body, 'runtime', example), 'runtime');
    const refusal = this.deps.registries?.refusal(input.image);
    if (refusal) throw requestInvalid(`runtime.image: ${refusal}`);
    const runtime = await this.deps.store.create({ name: input.name, image: input.image, description: input.description ?? '' });
    this.deps.onChange?.();
    return runtime;
  }

  /** Throws FRESCO_RUNTIME_NOT_FOUND, or FRESCO_RUNTIME_IN_USE while routes use it. */
  async delete(name: string): Promise<void> {
    if (!(await this.deps.store.delete(name))) throw runtimeNotFound(name);
    this.deps.onChange?.();
  }
}
