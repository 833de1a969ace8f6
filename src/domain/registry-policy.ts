// Which registries route images may come from ([docker] allowed_registries): without it, the
// configured registry_server and Docker Hub. Loopback and link-local registries are refused
// unless listed by name, even under "*", so that a route cannot make the engine host's Docker
// fetch from services that only listen on that host (or a cloud's metadata address).

const DOCKER_HUB = 'docker.io';

/** The registry host[:port] of an image reference, by Docker's rules (no registry part = Docker Hub). */
export function registryOf(ref: string): string {
  const slash = ref.indexOf('/');
  const first = slash < 0 ? '' : ref.slice(0, slash);
  const isHost = /[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase();
  return isHost ? hubAlias(first.toLowerCase()) : DOCKER_HUB;
}

/** A registry as configured (host[:port], or a URL as `docker login` accepts) in registryOf's form. */
export function serverHost(server: string): string {
  return hubAlias(server.trim().replace(/^[a-z]+:\/\//i, '').split('/')[0].toLowerCase());
}

function hubAlias(host: string): string {
  return ['', 'index.docker.io', 'registry-1.docker.io'].includes(host) ? DOCKER_HUB : host;
}

function hostOnly(registry: string): string {
  if (registry.startsWith('[')) return registry.slice(1, registry.indexOf(']'));
  const colons = registry.split(':').length - 1;
  return colons === 1 ? registry.slice(0, registry.indexOf(':')) : registry;
}

/** Whether `host` names this machine or a link-local address (169.254.0.0/16, fe80::/10). */
export function isLocalHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^::ffff:/, '');
  return h === 'localhost' || h.endsWith('.localhost') || /^127\./.test(h) || h === '::1' || /^0+(\.0+){0,3}$/.test(h)
    || h === '::' || /^169\.254\./.test(h) || /^fe[89ab][0-9a-f]?:/.test(h);
}

/** The registries route images may name. */
export class RegistryPolicy {
  private readonly listed: Set<string>;
  private readonly any: boolean;

  /** `allowed` entries: host[:port] (a host without port allows every port of it) or "*" (any
   *  registry but loopback and link-local ones); empty: `registryServer` (if set) and Docker Hub. */
  constructor(allowed: readonly string[] = [], registryServer?: string) {
    const entries = allowed.length ? allowed : [DOCKER_HUB, ...(registryServer ? [registryServer] : [])];
    this.any = entries.includes('*');
    this.listed = new Set(entries.filter((e) => e !== '*').map(serverHost));
  }

  /** Why `ref`'s registry may not be used, or undefined when it may. */
  refusal(ref: string): string | undefined {
    const registry = registryOf(ref);
    const host = hostOnly(registry);
    if (this.listed.has(registry) || this.listed.has(host)) return undefined;
    if (this.any && !isLocalHost(host)) return undefined;
    return `registry "${registry}" is not allowed on this deployment ([docker] allowed_registries)`;
  }
}
