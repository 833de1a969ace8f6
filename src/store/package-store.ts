import { createHash } from 'node:crypto';
import { packageCorrupt } from '../errors';
import type { PackageStore } from '../runtimes/model';
import { Db } from './db';

/** Code packages in Fresco's own database (bytea), content-addressed by sha256. */
export class KnexPackageStore implements PackageStore {
  constructor(private readonly db: Db) {}

  async put(digest: string, content: Buffer): Promise<void> {
    await this.db('code_packages')
      .insert({ digest, content, size: content.length, created_at: new Date() })
      .onConflict('digest').ignore();
  }

  async get(digest: string): Promise<Buffer | undefined> {
    const row = await this.db('code_packages').where({ digest }).first('content');
    if (!row) return undefined;
    const content = Buffer.from(row.content as Buffer);
    if (createHash('sha256').update(content).digest('hex') !== digest) throw packageCorrupt(digest);
    return content;
  }

  async deleteUnreferenced(digests: string[]): Promise<void> {
    const some = digests.filter(Boolean);
    if (some.length === 0) return;
    await this.db('code_packages').whereIn('digest', some)
      .whereNotExists(this.db('routes').whereRaw('routes.code_digest = code_packages.digest').select(this.db.raw('1')))
      // A published version keeps its package (docs/api.md, "Versions and aliases").
      .whereNotExists(this.db('route_versions').whereRaw('route_versions.code_digest = code_packages.digest').select(this.db.raw('1')))
      .delete();
  }
}
