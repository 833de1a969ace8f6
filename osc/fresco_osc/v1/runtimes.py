"""openstack fn runtime list|show|create|delete: the runtimes of functions from code
(docs/runtimes.md); create and delete are for admins."""

from osc_lib.command import command

from fresco_osc import client as fc
from fresco_osc.v1 import common


class ListRuntimes(command.Lister):
    """List the runtimes functions from code may use."""

    def take_action(self, args):
        fn = self.app.client_manager.fresco
        runtimes = fn.request('GET', fn.root_url('runtimes')).json()['runtimes']
        return common.table(runtimes, ['name', 'image', 'status', 'description'])


class ShowRuntime(command.ShowOne):
    """Show a runtime."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('name', metavar='<name>', help='Runtime name')
        return parser

    def take_action(self, args):
        fn = self.app.client_manager.fresco
        return common.show(fn.request('GET', fn.root_url('runtimes', fc.quote(args.name))).json()['runtime'])


class CreateRuntime(command.ShowOne):
    """Register a runtime: a name and an image implementing the runtime contract (admin)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('name', metavar='<name>', help='Runtime name, e.g. python3')
        parser.add_argument('image', metavar='<image>', help='Its image, e.g. fresco/runtime-python3:latest')
        parser.add_argument('--description', metavar='<text>', help='What it runs')
        return parser

    def take_action(self, args):
        runtime = {'name': args.name, 'image': args.image}
        if args.description is not None:
            runtime['description'] = args.description
        fn = self.app.client_manager.fresco
        body = fn.request('POST', fn.root_url('runtimes'), json={'runtime': runtime}).json()
        return common.show(body['runtime'])


class DeleteRuntime(command.Command):
    """Remove runtimes (admin; refused while routes use them)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('names', metavar='<name>', nargs='+', help='Runtime name(s)')
        return parser

    def take_action(self, args):
        fn = self.app.client_manager.fresco
        for name in args.names:
            fn.request('DELETE', fn.root_url('runtimes', fc.quote(name)))
