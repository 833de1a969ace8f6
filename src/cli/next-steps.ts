// What `fresco all` / `fresco api` tell a person at the terminal once the API listens: where it
// is, the quick start's first commands, and how to stop. On stderr, so the JSON log on stdout
// stays machine-readable.

/** A URL for a listening address; a wildcard address is shown as loopback. */
export function baseUrl(address: { host: string; port: number }): string {
  const host = address.host === '0.0.0.0' ? '127.0.0.1' : address.host === '::' ? '[::1]'
    : address.host.includes(':') ? `[${address.host}]` : address.host;
  return `http://${host}:${address.port}`;
}

/** The few lines printed once the API listens. */
export function nextSteps(address: { host: string; port: number }): string {
  const url = baseUrl(address);
  return [
    '',
    `Fresco is serving ${url}/ — API reference: ${url}/api`,
    'Quick start (README.md): build the example functions, then create an app, a route and run it:',
    '  bash examples/build.sh',
    `  curl -s -X POST ${url}/v1/demo/apps -H 'Content-Type: application/json' -d '{"app": {"name": "hello"}}'`,
    'Stop with Ctrl-C.',
    '',
  ].join('\n');
}
