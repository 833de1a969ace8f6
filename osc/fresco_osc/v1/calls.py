"""openstack fn call list|show|log|cancel|lineage|replay (call records, beyond Picasso)."""

import codecs

from osc_lib.command import command

from fresco_osc import client as fc
from fresco_osc.v1 import common

STATUSES = ['queued', 'running', 'success', 'error', 'timeout', 'cancelled']


def _call_arg(parser):
    parser.add_argument('call_id', metavar='<call>', help='Call ID')
    return parser


class ListCalls(command.Lister):
    """List the project's calls, newest first."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--app', metavar='<app>', help='Only calls of this app')
        parser.add_argument('--route', metavar='<path>', help='Only calls of this route path')
        parser.add_argument('--status', choices=STATUSES, help='Only calls with this status')
        parser.add_argument('--since', metavar='<time>',
                            help='Only calls created at or after this ISO 8601 time')
        parser.add_argument('--limit', type=int, metavar='<n>',
                            help='At most this many calls (default: the server\'s page size)')
        parser.add_argument('--marker', metavar='<marker>', help='Start after this page marker')
        parser.add_argument('--long', action='store_true', help='Show more fields')
        return parser

    def take_action(self, args):
        params = {k: getattr(args, k) for k in ('app', 'route', 'status', 'since', 'limit', 'marker')
                  if getattr(args, k) is not None}
        calls = self.app.client_manager.fresco.get('calls', params=params)['calls']
        fields = ['id', 'app', 'route', 'status', 'trigger', 'created_at', 'duration_ms']
        if args.long:
            fields += ['cold', 'exit_code', 'error', 'started_at', 'completed_at']
        return common.table(calls, fields)


class ShowCall(command.ShowOne):
    """Show a call: status, timing, exit code and (capped) result."""

    def get_parser(self, prog_name):
        return _call_arg(super().get_parser(prog_name))

    def take_action(self, args):
        return common.show(self.app.client_manager.fresco.get('calls', fc.quote(args.call_id))['call'])


class CallLog(command.Command):
    """Print a call's log (the function's stderr); --follow prints it as it is written."""

    def get_parser(self, prog_name):
        parser = _call_arg(super().get_parser(prog_name))
        parser.add_argument('--follow', action='store_true',
                            help='Print the log as the function writes it, until the call ends')
        return parser

    def take_action(self, args):
        fn = self.app.client_manager.fresco
        url = fn.url('calls', fc.quote(args.call_id), 'log')
        if not args.follow:
            resp = fn.request('GET', url)
            self.app.stdout.write(resp.content.decode('utf-8', errors='replace'))
            return
        # Streamed: the body is read as it comes (log=False: the debug log would read it whole).
        resp = fn.request('GET', url, params={'follow': 'true'}, stream=True, log=False)
        decoder = codecs.getincrementaldecoder('utf-8')(errors='replace')
        try:
            for chunk in resp.iter_content(chunk_size=None):
                self.app.stdout.write(decoder.decode(chunk))
                self.app.stdout.flush()
            self.app.stdout.write(decoder.decode(b'', final=True))
        finally:
            resp.close()


class CancelCall(command.ShowOne):
    """Cancel a queued or running call; shows the call afterwards."""

    def get_parser(self, prog_name):
        return _call_arg(super().get_parser(prog_name))

    def take_action(self, args):
        return common.show(self.app.client_manager.fresco.delete('calls', fc.quote(args.call_id))['call'])


class CallLineage(command.Lister):
    """List the chain a call belongs to: its root first, then each chained call with its parent."""

    def get_parser(self, prog_name):
        return _call_arg(super().get_parser(prog_name))

    def take_action(self, args):
        lineage = self.app.client_manager.fresco.get('calls', fc.quote(args.call_id), 'lineage')['lineage']
        return common.table(lineage['calls'], ['id', 'depth', 'parent_call_id', 'app', 'route', 'status',
                                               'trigger', 'chain_error'])


class ReplayCall(command.ShowOne):
    """Run a finished call again with its kept input (async and trigger calls); shows the new call."""

    def get_parser(self, prog_name):
        return _call_arg(super().get_parser(prog_name))

    def take_action(self, args):
        return common.show(self.app.client_manager.fresco.post(None, 'calls', fc.quote(args.call_id), 'replay')['call'])
