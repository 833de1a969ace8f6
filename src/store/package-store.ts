import { packageCorrupt } from '../errors';
import { packageDigest, type PackageStore } from '../runtimes/model';
import { Db } from './db';

/** Code packages in Fresco's own database (bytea), content-addressed by sha256: one copy for all
 *  projects. `code_packages` is also the index of packages kept elsewhere (Swift): a row without
 *  content, which routes and route versions refer to. */
export class KnexPackageStore implements PackageStore {
  constructor(private readonly db: Db) {}

  async put(_projectId: string, digest: string, content: Buffer): Promise<void> {
    // A row without content (the package was kept in Swift) gets its bytes.
    await this.db('code_packages')
      .insert({ digest, content, size: content.length, created_at: new Date() })
      .onConflict('digest').merge(['content']).whereNull('code_packages.content');
  }

  async get(_projectId: string, digest: string): Promise<Buffer | undefined> {
    const row = await this.db('code_packages').where({ digest }).whereNotNull('content').first('content');
    if (!row) return undefined;
    const content = Buffer.from(row.content as Buffer);
    if (packageDigest(content) !== digest) throw packageCorrupt(digest);
    return content;
  }

  async deleteUnreferenced(_projectId: string, digests: string[]): Promise<void> {
    const some = digests.filter(Boolean);
    if (some.length === 0) return;
    await this.db('code_packages').whereIn('digest', some)
      .whereNotExists(this.db('routes').whereRaw('routes.code_digest = code_packages.digest').select(this.db.raw('1')))
      // A published version keeps its package (docs/api.md, "Versions and aliases").
      .whereNotExists(this.db('route_versions').whereRaw('route_versions.code_digest = code_packages.digest').select(this.db.raw('1')))
      .delete();
  }

  /** Indexes a package whose bytes are kept elsewhere (no-op when it is indexed already). */
  async index(digest: string, size: number): Promise<void> {
    await this.db('code_packages').insert({ digest, content: null, size, created_at: new Date() }).onConflict('digest').ignore();
  }

  /** Those of `digests` that no route nor route version of `projectId` refers to. */
  async unusedIn(projectId: string, digests: string[]): Promise<string[]> {
    const some = [...new Set(digests.filter(Boolean))];
    if (some.length === 0) return [];
    const used = await this.db('routes').where({ project_id: projectId }).whereIn('code_digest', some).distinct('code_digest')
      .union((q) => q.from('route_versions').where({ project_id: projectId }).whereIn('code_digest', some).distinct('code_digest'));
    const kept = new Set((used as Array<{ code_digest: string }>).map((r) => r.code_digest));
    return some.filter((d) => !kept.has(d));
  }
}
