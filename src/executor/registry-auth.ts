// Which pulls get the configured registry credentials: only those of images on that registry,
// so that a route naming an image elsewhere cannot make the engine send them to another host.
import type { RegistryAuth } from './options';

const DOCKER_HUB = 'docker.io';

/** `auth` when `ref`'s registry is auth.serveraddress (empty = Docker Hub), else undefined. */
export function authFor(ref: string, auth?: RegistryAuth): RegistryAuth | undefined {
  return auth && registryOf(ref) === serverHost(auth.serveraddress) ? auth : undefined;
}

/** The registry host[:port] of an image reference, by Docker's rules (no registry part = Docker Hub). */
export function registryOf(ref: string): string {
  const slash = ref.indexOf('/');
  const first = slash < 0 ? '' : ref.slice(0, slash);
  const isHost = /[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase();
  return isHost ? hubAlias(first.toLowerCase()) : DOCKER_HUB;
}

// registry_server may be written as a URL (https://host:port/v1/), as `docker login` accepts.
function serverHost(server: string): string {
  return hubAlias(server.trim().replace(/^[a-z]+:\/\//i, '').split('/')[0].toLowerCase());
}

function hubAlias(host: string): string {
  return ['', 'index.docker.io', 'registry-1.docker.io'].includes(host) ? DOCKER_HUB : host;
}
