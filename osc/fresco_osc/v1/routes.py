"""openstack fn route create|list|show|set|delete|download (Picasso v1 routes, and functions
from code: --runtime, --entry and --file or --package, docs/runtimes.md)."""

import json
import os

from osc_lib.command import command
from osc_lib import exceptions

from fresco_osc import client as fc
from fresco_osc.v1 import common

# CLI option -> API field, for the plain scalar fields of a route.
SCALARS = (('image', 'image'), ('type', 'type'), ('route_format', 'format'), ('memory', 'memory'),
           ('timeout', 'timeout'), ('idle_timeout', 'idle_timeout'),
           ('max_concurrency', 'max_concurrency'), ('retries', 'retries'), ('retry_delay', 'retry_delay'),
           ('retry_backoff', 'retry_backoff'), ('retry_max_delay', 'retry_max_delay'),
           ('on_success', 'on_success'), ('on_failure', 'on_failure'), ('min_hot', 'min_hot'),
           ('priority', 'priority'))


def _route_args(parser, creating):
    parser.add_argument('app', metavar='<app>', help='App name')
    parser.add_argument('path', metavar='<path>', help='Route path, e.g. /hello')
    parser.add_argument('--image', metavar='<image>',
                        help='Docker image of the function (or --runtime and code)')
    parser.add_argument('--runtime', metavar='<runtime>',
                        help='Runtime of a function from code, e.g. python3 (openstack fn runtime list)')
    parser.add_argument('--entry', metavar='<module.function>',
                        help='Function to call in the code, e.g. hello.main')
    parser.add_argument('--calling', choices=['lambda', 'qinling'],
                        help='lambda: (event, context) (default); qinling: input keys as arguments')
    code = parser.add_mutually_exclusive_group()
    code.add_argument('--file', metavar='<file>', help='The code: one source file, e.g. hello.py')
    code.add_argument('--package', metavar='<zip>', help='The code: a zip of several files')
    parser.add_argument('--type', choices=['sync', 'async'], help='sync (default) or async')
    # Not --format: that is OSC's output format (-f).
    parser.add_argument('--route-format', choices=['default', 'http', 'json'],
                        help='Function protocol: default (cold), http or json (hot)')
    parser.add_argument('--memory', type=int, metavar='<MB>', help='Memory limit (default 128)')
    parser.add_argument('--timeout', type=int, metavar='<s>', help='Call timeout (default 30)')
    parser.add_argument('--idle-timeout', type=int, metavar='<s>',
                        help='Seconds a hot container may idle (default 30)')
    parser.add_argument('--max-concurrency', type=int, metavar='<n>',
                        help='Hot containers per engine host (default 1)')
    parser.add_argument('--min-hot', type=int, metavar='<n>',
                        help='Hot containers each engine keeps even when idle (default 0; http/json routes '
                             'and functions from code; at most [engine] max_min_hot)')
    parser.add_argument('--retries', type=int, metavar='<n>',
                        help='Async calls: further attempts after a failed one (default 0)')
    parser.add_argument('--retry-delay', type=float, metavar='<s>',
                        help='Seconds before the first retry (default 1)')
    parser.add_argument('--retry-backoff', type=float, metavar='<factor>',
                        help='Each further wait is the previous one times this (default 2)')
    parser.add_argument('--retry-max-delay', type=float, metavar='<s>',
                        help='Longest wait between attempts (default 300)')
    parser.add_argument('--retry-on', choices=['error', 'timeout'], action='append',
                        help='Outcome that is retried (repeat for both; default error and timeout)')
    parser.add_argument('--on-success', metavar='<route>',
                        help='Chaining: route (/path or app/path) whose async call gets each successful output')
    parser.add_argument('--on-failure', metavar='<route>',
                        help='Chaining: route whose async call gets a description of each failed call')
    parser.add_argument('--priority', type=int, choices=range(0, 10), metavar='<0-9>',
                        help='Async calls: priority, 0 lowest to 9 highest, served highest first (default 4)')
    common.add_key_value(parser, '--config', 'config', 'Environment variable of the function')
    common.add_key_value(parser, '--header', 'headers', 'Header added to answers')
    public = parser.add_mutually_exclusive_group()
    public.add_argument('--public', dest='is_public', action='store_true', default=None,
                        help='Anyone may run it at /r/<app>/<path>, without a token')
    public.add_argument('--private', dest='is_public', action='store_false',
                        help='Only the project may run it (the default)')
    keep = parser.add_mutually_exclusive_group()
    keep.add_argument('--keep-input', dest='keep_input', action='store_true', default=None,
                      help='Sync calls keep their input (without credentials) so that they can be replayed')
    keep.add_argument('--no-keep-input', dest='keep_input', action='store_false',
                      help='Sync calls keep no input (the default; async calls always keep theirs)')
    if not creating:
        parser.add_argument('--unset-config', metavar='<key>', action='append', default=[],
                            help='Remove a config key (repeat for more)')
        parser.add_argument('--no-on-success', action='store_true', help='Remove the on_success link')
        parser.add_argument('--no-on-failure', action='store_true', help='Remove the on_failure link')
    return parser


def _headers(pairs, current=None):
    # The API keeps header values as lists (as IronFunctions did); one value per option.
    headers = dict(current or {})
    for key, value in pairs:
        headers[key] = [value]
    return headers


def _fields(args):
    route = {api: getattr(args, opt) for opt, api in SCALARS if getattr(args, opt) is not None}
    for opt in ('runtime', 'entry', 'calling'):
        if getattr(args, opt) is not None:
            route[opt] = getattr(args, opt)
    if args.is_public is not None:
        route['is_public'] = args.is_public
    if args.keep_input is not None:
        route['keep_input'] = args.keep_input
    if args.retry_on:
        route['retry_on'] = sorted(set(args.retry_on))
    for link in ('on_success', 'on_failure'):
        if getattr(args, 'no_' + link, False):
            route[link] = None
    return route


def _code_file(args):
    """(form part name, (file name, bytes)) of --file/--package, or None."""
    name = args.file or args.package
    if not name:
        return None
    try:
        with open(name, 'rb') as f:
            content = f.read()
    except OSError as err:
        raise exceptions.CommandError('%s: %s' % (name, err.strerror))
    return ('file' if args.file else 'package'), (os.path.basename(name), content)


def _send(fn, method, route, code, *parts):
    """The route as JSON, or as a form with the code file when there is one."""
    if code is None:
        return (fn.post if method == 'POST' else fn.put)({'route': route}, *parts)
    part, value = code
    send = fn.post_form if method == 'POST' else fn.put_form
    return send({'route': json.dumps(route)}, {part: value}, *parts)


def _route_url(args):
    return ('apps', fc.quote(args.app), 'routes' + fc.quote_path(args.path))


class CreateRoute(command.ShowOne):
    """Create a route: an app path served by a function image."""

    def get_parser(self, prog_name):
        return _route_args(super().get_parser(prog_name), creating=True)

    def take_action(self, args):
        if not args.image and not args.runtime:
            raise exceptions.CommandError('give --image, or --runtime, --entry and --file or --package')
        route = dict(_fields(args), path=fc.route_path(args.path))
        if args.config:
            route['config'] = dict(args.config)
        if args.headers:
            route['headers'] = _headers(args.headers)
        fn = self.app.client_manager.fresco
        body = _send(fn, 'POST', route, _code_file(args), 'apps', fc.quote(args.app), 'routes')
        return common.show(body['route'])


class ListRoutes(command.Lister):
    """List an app's routes."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('app', metavar='<app>', help='App name')
        parser.add_argument('--long', action='store_true', help='Show every field')
        return parser

    def take_action(self, args):
        fn = self.app.client_manager.fresco
        routes = fn.get('apps', fc.quote(args.app), 'routes')['routes']
        fields = ['path', 'image', 'type', 'format', 'is_public']
        if args.long:
            fields += ['memory', 'timeout', 'idle_timeout', 'max_concurrency', 'min_hot', 'config', 'headers',
                       'created_at', 'updated_at']
        return common.table(routes, fields)


class ShowRoute(command.ShowOne):
    """Show a route."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('app', metavar='<app>', help='App name')
        parser.add_argument('path', metavar='<path>', help='Route path, e.g. /hello')
        return parser

    def take_action(self, args):
        return common.show(self.app.client_manager.fresco.get(*_route_url(args))['route'])


class SetRoute(command.ShowOne):
    """Change a route (only the options given; other config keys and headers are kept)."""

    def get_parser(self, prog_name):
        return _route_args(super().get_parser(prog_name), creating=False)

    def take_action(self, args):
        fn = self.app.client_manager.fresco
        change = _fields(args)
        if args.config or args.unset_config or args.headers:
            current = fn.get(*_route_url(args))['route']
            if args.config or args.unset_config:
                change['config'] = common.merged(current.get('config'), args.config, args.unset_config)
            if args.headers:
                change['headers'] = _headers(args.headers, current.get('headers'))
        return common.show(_send(fn, 'PUT', change, _code_file(args), *_route_url(args))['route'])


class DeleteRoute(command.Command):
    """Delete routes of an app."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('app', metavar='<app>', help='App name')
        parser.add_argument('paths', metavar='<path>', nargs='+', help='Route path(s)')
        return parser

    def take_action(self, args):
        fn = self.app.client_manager.fresco
        for path in args.paths:
            fn.delete('apps', fc.quote(args.app), 'routes' + fc.quote_path(path))


class DownloadRoute(command.Command):
    """Download the code package of a function from code."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('app', metavar='<app>', help='App name')
        parser.add_argument('path', metavar='<path>', help='Route path, e.g. /hello')
        parser.add_argument('-o', '--output', metavar='<file>',
                            help='Where to write it (default: the uploaded file\'s name)')
        return parser

    def take_action(self, args):
        fn = self.app.client_manager.fresco
        resp = fn.request('GET', fn.url(*_route_url(args)), params={'download': 'true'})
        name = args.output
        if not name:
            disposition = resp.headers.get('Content-Disposition', '')
            name = disposition.split('filename=')[-1].strip('"') if 'filename=' in disposition else 'code.zip'
            name = os.path.basename(name)
        with open(name, 'wb') as f:
            f.write(resp.content)
        self.app.stdout.write('%s\n' % name)
