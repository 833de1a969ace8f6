"""openstack fn trigger create|list|show|set|delete (event sources bound to routes)."""

import json

from osc_lib.command import command
from osc_lib import exceptions

from fresco_osc import client as fc
from fresco_osc.v1 import common

TYPES = ['swift', 'notification', 'alarm', 'schedule']
# Filter keys whose value is a list; given on the command line as comma-separated words.
LIST_KEYS = ('methods',)


def _filter(pairs, raw_json):
    if raw_json is not None:
        try:
            value = json.loads(raw_json)
        except ValueError as err:
            raise exceptions.CommandError('--filter-json: not JSON: %s' % err)
        if not isinstance(value, dict):
            raise exceptions.CommandError('--filter-json: must be a JSON object')
        return value
    return {k: (v.split(',') if k in LIST_KEYS else v) for k, v in pairs}


def _add_target(parser):
    """--route-version N | --alias NAME: what each firing runs (docs/api.md, "Versions and aliases")."""
    which = parser.add_mutually_exclusive_group()
    which.add_argument('--route-version', metavar='<number>', type=int, dest='route_version',
                       help='Run this published version of the route at each firing (0: the route as it is now)')
    which.add_argument('--alias', metavar='<name>',
                       help='Run the version this alias of the route names at each firing (looked up then)')


def _target(args, trigger):
    if args.route_version is not None:
        trigger['version'] = args.route_version
    if args.alias is not None:
        trigger['alias'] = args.alias


class CreateTrigger(command.ShowOne):
    """Bind an event source (Swift, a notification, an Aodh alarm, a schedule) to a route."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('name', metavar='<name>', help='Trigger name')
        parser.add_argument('--type', choices=TYPES, required=True, help='Event source')
        parser.add_argument('--app', metavar='<app>', required=True, help='App of the route')
        parser.add_argument('--route', metavar='<path>', required=True, help='Route path, e.g. /hello')
        common.add_key_value(parser, '--filter', 'filter',
                             'Filter field, e.g. container=photos or methods=PUT,DELETE')
        parser.add_argument('--filter-json', metavar='<json>', help='The whole filter as a JSON object')
        parser.add_argument('--schedule', metavar='<cron>', help='Cron expression (schedule triggers)')
        parser.add_argument('--timezone', metavar='<tz>', help='Time zone of the schedule, e.g. UTC')
        parser.add_argument('--disable', action='store_true', help='Create it disabled')
        _add_target(parser)
        return parser

    def take_action(self, args):
        trigger = {'name': args.name, 'type': args.type, 'app': args.app,
                   'route': fc.route_path(args.route)}
        filt = _filter(args.filter, args.filter_json)
        if filt:
            trigger['filter'] = filt
        for key in ('schedule', 'timezone'):
            if getattr(args, key) is not None:
                trigger[key] = getattr(args, key)
        if args.disable:
            trigger['enabled'] = False
        _target(args, trigger)
        body = self.app.client_manager.fresco.post({'trigger': trigger}, 'triggers')
        return common.show(body['trigger'])


class ListTriggers(command.Lister):
    """List the project's triggers."""

    def take_action(self, args):
        triggers = self.app.client_manager.fresco.get('triggers')['triggers']
        fields = ['id', 'name', 'type', 'app', 'route', 'version', 'alias', 'enabled']
        return common.table(triggers, fields)


def find(fn, name_or_id):
    """The trigger with this id, else the only one with this name."""
    try:
        return fn.get('triggers', fc.quote(name_or_id))['trigger']
    except fc.FrescoAPIError as err:
        if err.status != 404:
            raise
        named = [t for t in fn.get('triggers')['triggers'] if t.get('name') == name_or_id]
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            raise exceptions.CommandError('More than one trigger is named %s; use its ID' % name_or_id)
        raise


class ShowTrigger(command.ShowOne):
    """Show a trigger (by ID or name)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('trigger', metavar='<trigger>', help='Trigger ID or name')
        return parser

    def take_action(self, args):
        return common.show(find(self.app.client_manager.fresco, args.trigger))


class SetTrigger(command.ShowOne):
    """Change a trigger (by ID or name): its name, schedule, state, or the version or alias it runs."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('trigger', metavar='<trigger>', help='Trigger ID or name')
        parser.add_argument('--name', metavar='<name>', help='New name')
        parser.add_argument('--schedule', metavar='<cron>', help='Cron expression (schedule triggers)')
        parser.add_argument('--timezone', metavar='<tz>', help='Time zone of the schedule, e.g. UTC')
        state = parser.add_mutually_exclusive_group()
        state.add_argument('--enable', action='store_true', help='Let it fire')
        state.add_argument('--disable', action='store_true', help='Stop it firing')
        _add_target(parser)
        return parser

    def take_action(self, args):
        fn = self.app.client_manager.fresco
        trigger = {}
        for key in ('name', 'schedule', 'timezone'):
            if getattr(args, key) is not None:
                trigger[key] = getattr(args, key)
        if args.enable or args.disable:
            trigger['enabled'] = bool(args.enable)
        _target(args, trigger)
        if not trigger:
            raise exceptions.CommandError('Nothing to change: give --name, --schedule, --timezone, '
                                          '--enable/--disable, --route-version or --alias')
        body = fn.put({'trigger': trigger}, 'triggers', fc.quote(find(fn, args.trigger)['id']))
        return common.show(body['trigger'])


class DeleteTrigger(command.Command):
    """Delete triggers (by ID or name)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('triggers', metavar='<trigger>', nargs='+', help='Trigger ID(s) or name(s)')
        return parser

    def take_action(self, args):
        fn = self.app.client_manager.fresco
        for ref in args.triggers:
            fn.delete('triggers', fc.quote(find(fn, ref)['id']))
