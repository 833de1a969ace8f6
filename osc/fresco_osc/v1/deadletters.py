"""openstack fn deadletter list|show|redrive|delete|purge (failed async calls and events)."""

from osc_lib.command import command
from osc_lib import exceptions

from fresco_osc import client as fc
from fresco_osc.v1 import common

KINDS = ['call', 'event']


def _add_filters(parser, what):
    parser.add_argument('--app', metavar='<app>', help='Only %s of this app' % what)
    parser.add_argument('--route', metavar='<path>', help='Only %s of this route path' % what)
    parser.add_argument('--kind', choices=KINDS, help='Only failed calls or only undelivered events')
    parser.add_argument('--since', metavar='<time>', help='Only %s created at or after this ISO 8601 time' % what)
    parser.add_argument('--until', metavar='<time>', help='Only %s created before this ISO 8601 time' % what)
    return parser


def _filters(args):
    return {k: getattr(args, k) for k in ('app', 'route', 'kind', 'since', 'until') if getattr(args, k) is not None}


def _selection(args, extra=None):
    """The request body naming a set: the filters given, or all: true; refuses neither."""
    body = _filters(args)
    body.update(extra or {})
    if args.all:
        body['all'] = True
    elif not body:
        raise exceptions.CommandError('name dead letters (IDs or --app/--route/--kind/--since/--until) or pass --all')
    return body


class ListDeadLetters(command.Lister):
    """List the project's dead letters, newest first."""

    def get_parser(self, prog_name):
        parser = _add_filters(super().get_parser(prog_name), 'dead letters')
        redriven = parser.add_mutually_exclusive_group()
        redriven.add_argument('--redriven', dest='redriven', action='store_const', const='true',
                              help='Only dead letters already redriven')
        redriven.add_argument('--not-redriven', dest='redriven', action='store_const', const='false',
                              help='Only dead letters not redriven yet')
        parser.add_argument('--limit', type=int, metavar='<n>', help='At most this many (default: the server\'s page size)')
        parser.add_argument('--marker', metavar='<marker>', help='Start after this page marker')
        parser.add_argument('--long', action='store_true', help='Show more fields')
        return parser

    def take_action(self, args):
        params = _filters(args)
        params.update({k: getattr(args, k) for k in ('redriven', 'limit', 'marker') if getattr(args, k) is not None})
        items = self.app.client_manager.fresco.get('deadletters', params=params)['deadletters']
        fields = ['id', 'kind', 'app', 'route', 'reason', 'attempts', 'created_at', 'redrive_call_id']
        if args.long:
            fields += ['call_id', 'trigger', 'error_code', 'error', 'content_type', 'input_size', 'redriven_at']
        return common.table(items, fields)


class ShowDeadLetter(command.ShowOne):
    """Show a dead letter with the input a redrive runs with."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('deadletter', metavar='<deadletter>', help='Dead letter ID')
        return parser

    def take_action(self, args):
        d = self.app.client_manager.fresco.get('deadletters', fc.quote(args.deadletter))['deadletter']
        kept = d.pop('input', None) or {}
        d.update({'method': kept.get('method'), 'headers': kept.get('headers'), 'body': kept.get('body'),
                  'body_encoding': kept.get('body_encoding')})
        return common.show(d)


class RedriveDeadLetters(command.Lister):
    """Run dead letters again: a new async call each with the kept input, linked to the dead letter."""

    def get_parser(self, prog_name):
        parser = _add_filters(super().get_parser(prog_name), 'dead letters not redriven yet')
        parser.add_argument('deadletters', metavar='<deadletter>', nargs='*', help='Dead letter ID(s)')
        parser.add_argument('--all', action='store_true', help='Every dead letter not redriven yet')
        parser.add_argument('--limit', type=int, metavar='<n>', help='With filters or --all: at most this many (default 100)')
        return parser

    def take_action(self, args):
        fn = self.app.client_manager.fresco
        if args.deadletters:
            results, failed = [], 0
            for ident in args.deadletters:
                try:
                    answer = fn.post(None, 'deadletters', fc.quote(ident), 'redrive')
                    results.append({'id': ident, 'call_id': answer['call_id'], 'error': None})
                except fc.FrescoAPIError as err:
                    failed += 1
                    results.append({'id': ident, 'call_id': None, 'error': str(err)})
            if failed == len(args.deadletters):
                raise exceptions.CommandError('; '.join(r['error'] for r in results))
        else:
            extra = {'limit': args.limit} if args.limit is not None else {}
            answer = fn.post(_selection(args, extra), 'deadletters', 'redrive')
            results = [{'id': r['id'], 'call_id': r['call_id'],
                        'error': r['error'] and '%s (%s)' % (r['error']['message'], r['error']['code'])}
                       for r in answer['results']]
        return common.table(results, ['id', 'call_id', 'error'])


class DeleteDeadLetter(command.Command):
    """Delete dead letters by ID."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('deadletters', metavar='<deadletter>', nargs='+', help='Dead letter ID(s)')
        return parser

    def take_action(self, args):
        for ident in args.deadletters:
            self.app.client_manager.fresco.delete('deadletters', fc.quote(ident))


class PurgeDeadLetters(command.ShowOne):
    """Delete the dead letters that match the filters and --older-than, or --all."""

    def get_parser(self, prog_name):
        parser = _add_filters(super().get_parser(prog_name), 'dead letters')
        parser.add_argument('--older-than', type=int, metavar='<seconds>', dest='older_than',
                            help='Only dead letters older than this many seconds')
        parser.add_argument('--all', action='store_true', help='Every dead letter of the project')
        return parser

    def take_action(self, args):
        extra = {'older_than': args.older_than} if args.older_than is not None else {}
        answer = self.app.client_manager.fresco.post(_selection(args, extra), 'deadletters', 'purge')
        return ('purged',), (answer['purged'],)
