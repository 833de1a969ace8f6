# A Python function for Fresco's python3 runtime (docs/runtimes.md): entry "hello.main".
# `event` is the request body parsed as JSON (or the raw string); the return value is the answer,
# JSON-encoded. What it prints goes to the call's log.
import sys


def main(event, context):
    name = event.get('name', 'World') if isinstance(event, dict) else (event or 'World')
    print('greeting %s in call %s' % (name, context.call_id))
    print('a line on stderr', file=sys.stderr)
    return {'greeting': 'Hello %s' % name}


def fail(event, context):
    raise ValueError('no greeting for %r' % (event,))
