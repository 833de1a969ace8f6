// Which pulls get the configured registry credentials: only those of images on that registry,
// so that a route naming an image elsewhere cannot make the engine send them to another host.
import { registryOf, serverHost } from '../domain/registry-policy';
import type { RegistryAuth } from './options';

export { registryOf } from '../domain/registry-policy';

/** `auth` when `ref`'s registry is auth.serveraddress (empty = Docker Hub), else undefined. */
export function authFor(ref: string, auth?: RegistryAuth): RegistryAuth | undefined {
  return auth && registryOf(ref) === serverHost(auth.serveraddress) ? auth : undefined;
}
