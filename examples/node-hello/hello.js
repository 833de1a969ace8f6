// A Node.js function for Fresco's nodejs runtime (docs/runtimes.md): entry "hello.main".
// `event` is the request body parsed as JSON (or the raw string); the resolved value is the
// answer, JSON-encoded. What it logs goes to the call's log.
'use strict';

exports.main = async (event, context) => {
  const name = event && typeof event === 'object' ? event.name || 'World' : event || 'World';
  console.log(`greeting ${name} in call ${context.call_id}`);
  console.error('a line on stderr');
  await Promise.resolve(); // an async function may await anything
  return { greeting: `Hello ${name}` };
};

exports.fail = () => {
  throw new TypeError('no greeting today');
};
