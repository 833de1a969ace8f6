"""openstack fn quota show|set|delete (per-project limits, docs/api.md "Quotas")."""

import argparse

from osc_lib.command import command
from osc_lib import exceptions

from fresco_osc import client as fc
from fresco_osc.v1 import common

LIMITS = ['running_calls', 'queued_calls', 'calls_per_second']


def _limit(text):
    """A whole number >= 0 (0: unlimited), or "default" (the configured default)."""
    if text == 'default':
        return None
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError('expected a whole number >= 0 or "default", got %r' % text)
    if n < 0:
        raise argparse.ArgumentTypeError('expected a whole number >= 0 or "default", got %r' % text)
    return n


def _add_project(parser):
    parser.add_argument('--project', metavar='<project-id>',
                        help='Project ID (default: the token\'s project; another project needs the admin role)')
    return parser


def _url(fresco, args):
    project = args.project or fresco.project_id
    return '%s/v1/%s/quotas' % (fresco.endpoint, fc.quote(project))


def _show(quota):
    shown = {k: quota[k] for k in ['project_id'] + LIMITS}
    for k in LIMITS:
        shown[k + '_default'] = quota['defaults'][k]
        shown[k + '_set'] = quota['overrides'][k]
    return common.show(shown)


class ShowQuota(command.ShowOne):
    """Show a project's quotas: the limits in force (0: unlimited), what an admin set, the defaults."""

    def get_parser(self, prog_name):
        return _add_project(super().get_parser(prog_name))

    def take_action(self, args):
        fresco = self.app.client_manager.fresco
        return _show(fresco.request('GET', _url(fresco, args)).json()['quota'])


class SetQuota(command.ShowOne):
    """Set a project's limits (admins only); "default" puts one back to the configured default."""

    def get_parser(self, prog_name):
        parser = _add_project(super().get_parser(prog_name))
        parser.add_argument('--running-calls', type=_limit, metavar='<n|default>', default=argparse.SUPPRESS,
                            help='Calls running at once (0: unlimited); over it sync runs get 429, async calls wait')
        parser.add_argument('--queued-calls', type=_limit, metavar='<n|default>', default=argparse.SUPPRESS,
                            help='Async calls waiting in the queue (0: unlimited); over it async runs get 429')
        parser.add_argument('--calls-per-second', type=_limit, metavar='<n|default>', default=argparse.SUPPRESS,
                            help='Runs a second, at each API process (0: unlimited); over it runs get 429')
        return parser

    def take_action(self, args):
        body = {k: getattr(args, k) for k in LIMITS if hasattr(args, k)}
        if not body:
            raise exceptions.CommandError('pass --running-calls, --queued-calls or --calls-per-second')
        fresco = self.app.client_manager.fresco
        return _show(fresco.request('PUT', _url(fresco, args), json={'quota': body}).json()['quota'])


class DeleteQuota(command.Command):
    """Put every limit of a project back to the configured defaults (admins only)."""

    def get_parser(self, prog_name):
        return _add_project(super().get_parser(prog_name))

    def take_action(self, args):
        fresco = self.app.client_manager.fresco
        fresco.request('DELETE', _url(fresco, args))
