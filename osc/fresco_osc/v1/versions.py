"""openstack fn route version create|list|show|delete and openstack fn alias
create|list|show|set|delete: published versions of a route and names for them
(docs/api.md, "Versions and aliases")."""

from osc_lib.command import command

from fresco_osc import client as fc
from fresco_osc.v1 import common

VERSION_COLUMNS = ['number', 'description', 'image', 'runtime', 'memory', 'timeout', 'created_at']
ALIAS_COLUMNS = ['name', 'version', 'description', 'updated_at']


def _route_args(parser):
    parser.add_argument('app', metavar='<app>', help='App name')
    parser.add_argument('path', metavar='<path>', help='Route path, e.g. /hello')
    return parser


def _url(args, kind, *rest):
    """(parts) of .../apps/{app}/routes/{path}/@versions|@aliases[/...] for Client.get & co."""
    route = fc.quote_path(args.path).lstrip('/')
    return ('apps', fc.quote(args.app), 'routes', route, kind) + tuple(fc.quote(r) for r in rest)


class CreateVersion(command.ShowOne):
    """Publish the route as it is now as its next version (1, 2, 3...)."""

    def get_parser(self, prog_name):
        parser = _route_args(super().get_parser(prog_name))
        parser.add_argument('--description', metavar='<text>', help='What this version is')
        return parser

    def take_action(self, args):
        body = {'version': {'description': args.description}} if args.description is not None else {}
        return common.show(self.app.client_manager.fresco.post(body, *_url(args, '@versions'))['version'])


class ListVersions(command.Lister):
    """List a route's published versions."""

    def get_parser(self, prog_name):
        return _route_args(super().get_parser(prog_name))

    def take_action(self, args):
        versions = self.app.client_manager.fresco.get(*_url(args, '@versions'))['versions']
        return common.table(versions, VERSION_COLUMNS)


class ShowVersion(command.ShowOne):
    """Show a version: what the route ran when it was published."""

    def get_parser(self, prog_name):
        parser = _route_args(super().get_parser(prog_name))
        parser.add_argument('number', metavar='<number>', help='Version number')
        return parser

    def take_action(self, args):
        return common.show(self.app.client_manager.fresco.get(*_url(args, '@versions', args.number))['version'])


class DeleteVersion(command.Command):
    """Delete versions (refused while an alias points at one)."""

    def get_parser(self, prog_name):
        parser = _route_args(super().get_parser(prog_name))
        parser.add_argument('numbers', metavar='<number>', nargs='+', help='Version number(s)')
        return parser

    def take_action(self, args):
        fn = self.app.client_manager.fresco
        for number in args.numbers:
            fn.delete(*_url(args, '@versions', number))


class CreateAlias(command.ShowOne):
    """Name a version of a route; runs pick it with --alias."""

    def get_parser(self, prog_name):
        parser = _route_args(super().get_parser(prog_name))
        parser.add_argument('name', metavar='<name>', help='Alias name, e.g. prod')
        parser.add_argument('--route-version', metavar='<number>', type=int, required=True, dest='route_version',
                            help='Version it names (0: the route as it is now)')
        parser.add_argument('--description', metavar='<text>', help='What the alias is for')
        return parser

    def take_action(self, args):
        alias = {'name': args.name, 'version': args.route_version}
        if args.description is not None:
            alias['description'] = args.description
        return common.show(self.app.client_manager.fresco.post({'alias': alias}, *_url(args, '@aliases'))['alias'])


class ListAliases(command.Lister):
    """List a route's aliases."""

    def get_parser(self, prog_name):
        return _route_args(super().get_parser(prog_name))

    def take_action(self, args):
        return common.table(self.app.client_manager.fresco.get(*_url(args, '@aliases'))['aliases'], ALIAS_COLUMNS)


class ShowAlias(command.ShowOne):
    """Show an alias."""

    def get_parser(self, prog_name):
        parser = _route_args(super().get_parser(prog_name))
        parser.add_argument('name', metavar='<name>', help='Alias name')
        return parser

    def take_action(self, args):
        return common.show(self.app.client_manager.fresco.get(*_url(args, '@aliases', args.name))['alias'])


class SetAlias(command.ShowOne):
    """Move an alias to another version, or change its description."""

    def get_parser(self, prog_name):
        parser = _route_args(super().get_parser(prog_name))
        parser.add_argument('name', metavar='<name>', help='Alias name')
        parser.add_argument('--route-version', metavar='<number>', type=int, dest='route_version',
                            help='Version it names from now on (0: the route as it is now)')
        parser.add_argument('--description', metavar='<text>', help='New description')
        return parser

    def take_action(self, args):
        alias = {}
        if args.route_version is not None:
            alias['version'] = args.route_version
        if args.description is not None:
            alias['description'] = args.description
        fn = self.app.client_manager.fresco
        body = fn.request('PATCH', fn.url(*_url(args, '@aliases', args.name)), json={'alias': alias}).json()
        return common.show(body['alias'])


class DeleteAlias(command.Command):
    """Delete aliases."""

    def get_parser(self, prog_name):
        parser = _route_args(super().get_parser(prog_name))
        parser.add_argument('names', metavar='<name>', nargs='+', help='Alias name(s)')
        return parser

    def take_action(self, args):
        fn = self.app.client_manager.fresco
        for name in args.names:
            fn.delete(*_url(args, '@aliases', name))
