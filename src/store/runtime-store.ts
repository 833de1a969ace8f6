import { randomUUID } from 'node:crypto';
import { runtimeExists, runtimeInUse } from '../errors';
import type { NewRuntime, Runtime, RuntimeStore } from '../runtimes/model';
import { Db } from './db';
import { isForeignKeyViolation, isUniqueViolation } from './pg-errors';

interface RuntimeRow {
  id: string; name: string; image: string; description: string; created_at: Date; updated_at: Date;
}

const toRuntime = (r: RuntimeRow): Runtime => ({
  id: r.id, name: r.name, image: r.image, description: r.description,
  createdAt: new Date(r.created_at), updatedAt: new Date(r.updated_at),
});

/** The knex implementation of RuntimeStore. */
export class KnexRuntimeStore implements RuntimeStore {
  constructor(private readonly db: Db) {}

  async list(): Promise<Runtime[]> {
    return (await this.db<RuntimeRow>('runtimes').orderBy('name')).map(toRuntime);
  }

  async get(name: string): Promise<Runtime | undefined> {
    const row = await this.db<RuntimeRow>('runtimes').where({ name }).first();
    return row && toRuntime(row);
  }

  async create(runtime: NewRuntime): Promise<Runtime> {
    const now = new Date();
    try {
      const [row] = await this.db<RuntimeRow>('runtimes')
        .insert({ id: randomUUID(), ...runtime, created_at: now, updated_at: now } as never).returning('*');
      return toRuntime(row as RuntimeRow);
    } catch (err) {
      if (isUniqueViolation(err)) throw runtimeExists(runtime.name);
      throw err;
    }
  }

  async delete(name: string): Promise<boolean> {
    return this.db.transaction(async (trx) => {
      // The row lock keeps a route from naming the runtime between the check and the delete.
      const row = await trx('runtimes').where({ name }).forUpdate().first('id');
      if (!row) return false;
      const users = await trx('routes').where({ runtime: name }).count<{ n: string }[]>({ n: '*' });
      if (Number(users[0].n) > 0) throw runtimeInUse(name, Number(users[0].n));
      try {
        await trx('runtimes').where({ name }).delete();
      } catch (err) {
        if (isForeignKeyViolation(err)) throw runtimeInUse(name, 1);
        throw err;
      }
      return true;
    });
  }
}
