// Fresco's Node.js runtime server (docs/runtimes.md). It speaks Fresco's hot `json` format: one JSON
// request line in on fd 3, one JSON answer line out on fd 4; fd 1 and fd 2 both go to the call's log
// and fd 0 is /dev/null (the image's command arranges that), so nothing the function prints can
// garble an answer. The code is under /code (read-only); FRESCO_ENTRY names `module.function`
// (module relative to /code, e.g. `hello.main` → /code/hello.js's export `main`), sync or async,
// called (event, context); FRESCO_CALLING `qinling` passes the input object's keys merged with
// `context` as one object instead. Started without FRESCO_ENTRY, the runtime waits for its code (a
// pre-started runtime container): the first line is then {"fresco_init": {"env": {...}}}, the
// route's environment, which it sets before it requires the code the engine has meanwhile put under
// /code; it answers nothing.
'use strict';
const net = require('node:net');
const path = require('node:path');

const CODE = process.env.FRESCO_CODE_DIR || '/code';
let calling = process.env.FRESCO_CALLING || 'lambda';

function loadHandler() {
  const entry = process.env.FRESCO_ENTRY || '';
  const dot = entry.lastIndexOf('.');
  if (dot <= 0 || dot === entry.length - 1) throw new Error(`FRESCO_ENTRY must be "module.function", got ${JSON.stringify(entry)}`);
  const modulePath = path.resolve(CODE, entry.slice(0, dot).replace(/\./g, '/'));
  if (!modulePath.startsWith(CODE + path.sep)) throw new Error(`FRESCO_ENTRY's module must be inside ${CODE}`);
  const mod = require(modulePath);
  const fn = mod[entry.slice(dot + 1)];
  if (typeof fn !== 'function') throw new Error(`module ${entry.slice(0, dot)} exports no function ${entry.slice(dot + 1)}`);
  return fn;
}

function parseEvent(body) {
  if (body === '') return null;
  try { return JSON.parse(body); } catch { return body; }
}

const proto = new net.Socket({ fd: 3, readable: true, writable: false });
const out = new net.Socket({ fd: 4, readable: false, writable: true });
const answer = (o) => out.write(JSON.stringify(o) + '\n');

function fail(err) {
  const text = err && err.stack ? String(err.stack) : `Error: ${String(err)}`;
  const first = text.split('\n')[0];
  process.stderr.write(text + '\n', () => answer({
    status: 500, headers: { 'content-type': ['text/plain'] }, body: first + '\n', fresco_error: first,
  }));
}

let handler; let loadError;
let waiting = !process.env.FRESCO_ENTRY;
function load() {
  try { handler = loadHandler(); } catch (e) { loadError = e; }
}
if (!waiting) load();

function specialise(init) {
  for (const [k, v] of Object.entries((init && init.env) || {})) process.env[k] = String(v);
  calling = process.env.FRESCO_CALLING || 'lambda';
  waiting = false;
  load();
}

async function serve(req) {
  if (waiting) {
    if (req.fresco_init !== undefined) return specialise(req.fresco_init);
    return fail(new Error('the runtime container has no code yet (no fresco_init line)'));
  }
  if (loadError) return fail(loadError);
  const context = {
    call_id: req.call_id, method: req.method, request_url: req.request_url, headers: req.headers || {},
    app_name: process.env.APP_NAME, route: process.env.ROUTE, memory_mb: process.env.MEMORY_MB,
  };
  const event = parseEvent(req.body || '');
  let result;
  try {
    if (calling === 'qinling' && (event === null || (typeof event === 'object' && !Array.isArray(event)))) {
      result = await handler({ ...(event || {}), context });
    } else {
      result = await handler(event, context);
    }
  } catch (e) {
    return fail(e);
  }
  const body = result === undefined ? 'null' : JSON.stringify(result);
  // What the function wrote is flushed to the log before its answer.
  process.stdout.write('', () => process.stderr.write('', () => answer({
    status: 200, headers: { 'content-type': ['application/json'] }, body,
  })));
}

let buf = '';
let chain = Promise.resolve();
proto.setEncoding('utf8');
proto.on('data', (chunk) => {
  buf += chunk;
  let nl;
  while ((nl = buf.indexOf('\n')) >= 0) {
    const line = buf.slice(0, nl);
    buf = buf.slice(nl + 1);
    chain = chain.then(() => serve(JSON.parse(line)));
  }
});
proto.on('end', () => process.exit(0));
process.on('unhandledRejection', (e) => process.stderr.write(`unhandled rejection: ${e && e.stack ? e.stack : e}\n`));
