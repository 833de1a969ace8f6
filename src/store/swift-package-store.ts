import { createHash } from 'node:crypto';
import { packageCorrupt, packageStoreUnavailable } from '../errors';
import { log } from '../log';
import { packageDigest, type PackageStore } from '../runtimes/model';
import type { KnexPackageStore } from './package-store';
import { drain, segment, type SwiftClient } from './swift-client';

// Code packages in Swift ([swift] enabled, docs/runtimes.md): in the account of Fresco's [swift]
// identity, one container per Keystone project (<container_prefix><project id>, created on the
// first package), each object named by the package's sha256 and verified against it when read.
// The database keeps the index (code_packages rows without content, which routes refer to), and
// the bytes of packages stored before Swift was enabled, which are still read from there.

/** PackageStore on Swift, with Fresco's database as the index. */
export class SwiftPackageStore implements PackageStore {
  constructor(private readonly deps: {
    swift: Pick<SwiftClient, 'service'>; index: Pick<KnexPackageStore, 'get' | 'index' | 'unusedIn' | 'deleteUnreferenced'>;
    containerPrefix: string;
  }) {}

  /** The container of `projectId`'s packages. */
  containerOf(projectId: string): string {
    return `${this.deps.containerPrefix}${projectId}`;
  }

  async put(projectId: string, digest: string, content: Buffer): Promise<void> {
    const md5 = createHash('md5').update(content).digest('hex');
    const object = this.pathOf(projectId, digest);
    // Swift checks the ETag against what it received: a package damaged on the way is refused (422).
    const upload = () => this.deps.swift.service('PUT', object, {
      body: content, headers: { ETag: md5, 'Content-Type': 'application/octet-stream' },
    });
    let res = await upload();
    if (res.status === 404) {
      await this.createContainer(projectId);
      res = await upload();
    }
    await drain(res);
    if (res.status !== 201) throw this.failed('storing a package', res.status);
    await this.deps.index.index(digest, content.length);
  }

  async get(projectId: string, digest: string): Promise<Buffer | undefined> {
    const res = await this.deps.swift.service('GET', this.pathOf(projectId, digest));
    if (res.status === 404) {
      await drain(res);
      // Stored before [swift] was enabled: its bytes are in the database.
      return this.deps.index.get(projectId, digest);
    }
    if (res.status !== 200) {
      await drain(res);
      throw this.failed('reading a package', res.status);
    }
    const content = Buffer.from(await res.arrayBuffer());
    if (packageDigest(content) !== digest) {
      log.error({ projectId, digest, container: this.containerOf(projectId) }, 'a code package in Swift does not match its digest');
      throw packageCorrupt(digest);
    }
    return content;
  }

  async deleteUnreferenced(projectId: string, digests: string[]): Promise<void> {
    for (const digest of await this.deps.index.unusedIn(projectId, digests)) {
      const res = await this.deps.swift.service('DELETE', this.pathOf(projectId, digest));
      await drain(res);
      if (res.status !== 204 && res.status !== 404) throw this.failed('deleting a package', res.status);
    }
    await this.deps.index.deleteUnreferenced(projectId, digests);
  }

  private async createContainer(projectId: string): Promise<void> {
    const res = await this.deps.swift.service('PUT', `/${segment(this.containerOf(projectId))}`);
    await drain(res);
    if (res.status !== 201 && res.status !== 202) throw this.failed('creating the project\'s package container', res.status);
  }

  private pathOf(projectId: string, digest: string): string {
    return `/${segment(this.containerOf(projectId))}/${segment(digest)}`;
  }

  private failed(what: string, status: number): Error {
    const why = status === 401 || status === 403
      ? `the [swift] identity may not (check its role on its project: Swift's operator_roles)` : 'Swift failed';
    return packageStoreUnavailable(`Swift answered HTTP ${status} to ${what}: ${why}`);
  }
}
