"""openstack fn app create|list|show|set|delete (Picasso v1 apps)."""

from osc_lib.command import command

from fresco_osc import client as fc
from fresco_osc.v1 import common


def _app_parser(parser, creating):
    parser.add_argument('--description', metavar='<text>', help='What the app is for')
    common.add_key_value(parser, '--config', 'config',
                         'Environment variable given to every route of the app')
    if not creating:
        parser.add_argument('--unset-config', metavar='<key>', action='append', default=[],
                            help='Remove a config key (repeat for more)')
    return parser


class CreateApp(command.ShowOne):
    """Create an app (a named group of routes)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('name', metavar='<app>', help='App name ([A-Za-z0-9_.-], unique in the project)')
        return _app_parser(parser, creating=True)

    def take_action(self, args):
        app = {'name': args.name}
        if args.description is not None:
            app['description'] = args.description
        if args.config:
            app['config'] = dict(args.config)
        body = self.app.client_manager.fresco.post({'app': app}, 'apps')
        return common.show(body['app'])


class ListApps(command.Lister):
    """List the project's apps."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--long', action='store_true', help='Show every field')
        return parser

    def take_action(self, args):
        apps = self.app.client_manager.fresco.get('apps')['apps']
        fields = ['name', 'description', 'created_at']
        if args.long:
            fields = ['id', 'name', 'description', 'config', 'created_at', 'updated_at']
        return common.table(apps, fields)


class ShowApp(command.ShowOne):
    """Show an app."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('name', metavar='<app>', help='App name')
        return parser

    def take_action(self, args):
        return common.show(self.app.client_manager.fresco.get('apps', fc.quote(args.name))['app'])


class SetApp(command.ShowOne):
    """Change an app's description or config (other config keys are kept)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('name', metavar='<app>', help='App name')
        return _app_parser(parser, creating=False)

    def take_action(self, args):
        fn = self.app.client_manager.fresco
        change = {}
        if args.description is not None:
            change['description'] = args.description
        if args.config or args.unset_config:
            current = fn.get('apps', fc.quote(args.name))['app'].get('config')
            change['config'] = common.merged(current, args.config, args.unset_config)
        return common.show(fn.put({'app': change}, 'apps', fc.quote(args.name))['app'])


class DeleteApp(command.Command):
    """Delete apps (an app must have no routes left)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('names', metavar='<app>', nargs='+', help='App name(s)')
        return parser

    def take_action(self, args):
        for name in args.names:
            self.app.client_manager.fresco.delete('apps', fc.quote(name))
