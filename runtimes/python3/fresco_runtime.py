# Fresco's Python runtime server (docs/runtimes.md). It speaks Fresco's hot `json` format: one JSON
# request line in on fd 3, one JSON answer line out on fd 4; fd 1 and fd 2 both go to the call's log,
# fd 0 is /dev/null (the image's command arranges that), so nothing the function prints can
# garble an answer. The code is under /code (read-only); FRESCO_ENTRY names `module.function`,
# FRESCO_CALLING is `lambda` (handler(event, context)) or `qinling` (input keys as keyword
# arguments plus `context`, or one positional argument when the input is not a JSON object).
# Started without FRESCO_ENTRY, the runtime waits for its code (a pre-started runtime container):
# the first line is then {"fresco_init": {"env": {...}}}, the route's environment, which it sets
# before it imports the code the engine has meanwhile put under /code; it answers nothing.
import importlib
import json
import os
import sys
import time
import traceback

PROTO_IN, PROTO_OUT = 3, 4
CODE = os.environ.get('FRESCO_CODE_DIR', '/code')


def log(msg):
    sys.stderr.write(msg)
    sys.stderr.flush()


def load_handler():
    entry = os.environ.get('FRESCO_ENTRY', '')
    module_name, _, func = entry.rpartition('.')
    if not module_name or not func:
        raise ValueError('FRESCO_ENTRY must be "module.function", got %r' % entry)
    sys.path.insert(0, CODE)
    module = importlib.import_module(module_name)
    handler = getattr(module, func, None)
    if not callable(handler):
        raise AttributeError('module %r has no function %r' % (module_name, func))
    return handler


def parse_event(body):
    if body == '':
        return None
    try:
        return json.loads(body)
    except ValueError:
        return body


class Context(dict):
    """The call's details, as a dict and as attributes (context.call_id)."""
    __getattr__ = dict.get


def invoke(handler, calling, event, context):
    if calling == 'qinling':
        if event is None:
            event = {}
        if isinstance(event, dict):
            return handler(**dict(event, context=context))
        return handler(event, context=context)
    return handler(event, context)


def answer(obj):
    data = (json.dumps(obj, separators=(',', ':')) + '\n').encode('utf-8')
    while data:
        data = data[os.write(PROTO_OUT, data):]


def failure(exc_text):
    sys.stdout.flush()
    log(exc_text)
    answer({'status': 500, 'headers': {'content-type': ['text/plain']},
            'body': exc_text.strip().splitlines()[-1] + '\n',
            'fresco_error': exc_text.strip().splitlines()[-1]})


def read_lines():
    buf = b''
    while True:
        chunk = os.read(PROTO_IN, 65536)
        if not chunk:
            return
        buf += chunk
        while b'\n' in buf:
            line, buf = buf.split(b'\n', 1)
            yield line


def load():
    try:
        return load_handler(), None
    except BaseException:
        return None, traceback.format_exc()


def specialise(init):
    os.environ.update({str(k): str(v) for k, v in (init.get('env') or {}).items()})
    if hasattr(time, 'tzset'):
        time.tzset()
    return os.environ.get('FRESCO_CALLING', 'lambda')


def main():
    calling = os.environ.get('FRESCO_CALLING', 'lambda')
    waiting = not os.environ.get('FRESCO_ENTRY')
    handler, load_error = (None, None) if waiting else load()
    for line in read_lines():
        req = json.loads(line.decode('utf-8'))
        if waiting:
            if 'fresco_init' in req:
                waiting = False
                calling = specialise(req['fresco_init'] or {})
                handler, load_error = load()
            else:
                failure('the runtime container has no code yet (no fresco_init line)\n')
            continue
        if load_error is not None:
            failure(load_error)
            continue
        context = Context(call_id=req.get('call_id'), method=req.get('method'), request_url=req.get('request_url'),
                          headers=req.get('headers') or {}, app_name=os.environ.get('APP_NAME'),
                          route=os.environ.get('ROUTE'), memory_mb=os.environ.get('MEMORY_MB'),
                          deadline=None, started=time.time())
        try:
            result = invoke(handler, calling, parse_event(req.get('body') or ''), context)
            body = json.dumps(result)
        except BaseException:
            failure(traceback.format_exc())
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        answer({'status': 200, 'headers': {'content-type': ['application/json']}, 'body': body})


if __name__ == '__main__':
    main()
