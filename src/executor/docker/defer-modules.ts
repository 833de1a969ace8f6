import Module from 'node:module';

// dockerode loads, at require time, ssh2 (for ssh:// Docker hosts) and gRPC with protobuf (for
// BuildKit sessions of image builds): ~12 MB of resident memory that a Fresco talking to a local
// socket or tcp:// never uses. Imported before dockerode, this puts a stand-in for each of those
// two files in the module cache; the real file is loaded on the stand-in's first call, so an
// ssh:// host or a build still works.

/** Makes the function module `request` (resolved from `from`) load on its first call; a no-op once it is loaded. */
function deferFunctionModule(request: string, from: string): void {
  const load = Module.createRequire(from);
  const filename = load.resolve(request);
  if (require.cache[filename]) return;
  const standIn = new Module(filename);
  standIn.filename = filename;
  standIn.loaded = true;
  let real: ((...args: unknown[]) => unknown) | undefined;
  standIn.exports = function deferred(this: unknown, ...args: unknown[]): unknown {
    if (!real) {
      delete require.cache[filename];
      real = load(filename) as (...args: unknown[]) => unknown;
    }
    return real.apply(this, args);
  };
  require.cache[filename] = standIn;
}

const dockerode = require.resolve('dockerode/lib/docker.js');
deferFunctionModule('./session', dockerode);
deferFunctionModule('./ssh', Module.createRequire(dockerode).resolve('docker-modem/lib/modem.js'));
