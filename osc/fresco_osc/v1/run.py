"""openstack fn run APP ROUTE [--data JSON|@file]."""

import json
import sys

from osc_lib.command import command
from osc_lib import exceptions


def _read_data(spec):
    """The request body: the text given, or the bytes of @file (@- for stdin)."""
    if spec is None:
        return b''
    if not spec.startswith('@'):
        return spec.encode('utf-8')
    name = spec[1:]
    if name == '-':
        return sys.stdin.buffer.read()
    try:
        with open(name, 'rb') as f:
            return f.read()
    except OSError as err:
        raise exceptions.CommandError('--data %s: %s' % (spec, err.strerror))


def _content_type(data):
    try:
        json.loads(data.decode('utf-8'))
        return 'application/json'
    except (UnicodeDecodeError, ValueError):
        return 'application/octet-stream'


class Run(command.ShowOne):
    """Run a route and show its output (sync) or the id of the queued call (async)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('app', metavar='<app>', help='App name')
        parser.add_argument('path', metavar='<route>', help='Route path, e.g. /hello')
        parser.add_argument('--data', metavar='<json|@file>',
                            help='Request body: text/JSON, or @file, or @- for stdin (default: empty)')
        parser.add_argument('--content-type', metavar='<type>',
                            help='Content-Type of the body (default: application/json when it '
                                 'parses as JSON, else application/octet-stream)')
        which = parser.add_mutually_exclusive_group()
        which.add_argument('--route-version', metavar='<number>', type=int,
                           help='Run this published version of the route (openstack fn route version list)')
        which.add_argument('--alias', metavar='<name>', help='Run the version this alias of the route names')
        parser.add_argument('--priority', type=int, choices=range(0, 10), metavar='<0-9>',
                            help='Async routes: this call\'s priority, 0 lowest to 9 highest (default: the route\'s)')
        return parser

    def take_action(self, args):
        data = _read_data(args.data)
        content_type = args.content_type or _content_type(data)
        fn = self.app.client_manager.fresco
        headers = {}
        if args.route_version is not None:
            headers['Fresco-Version'] = str(args.route_version)
        if args.alias is not None:
            headers['Fresco-Alias'] = args.alias
        if args.priority is not None:
            headers['Fresco-Priority'] = str(args.priority)
        status, body = fn.run(args.app, args.path, data, content_type, headers)
        answer = {
            'call_id': body.get('call_id'),
            'status': 'queued' if status == 202 else 'success',
            'result': body.get('result'),
        }
        return _show(answer)


def _show(answer):
    # A fixed order: the output first matters less than -c result working for scripts.
    fields = ('call_id', 'status', 'result')
    return fields, tuple(answer[f] for f in fields)
