"""openstack fn engine list (the cluster's engines; admin only)."""

from osc_lib.command import command

from fresco_osc.v1 import common


class ListEngines(command.Lister):
    """List the engines that run calls: state, load and last heartbeat (admin only)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--long', action='store_true', help='Show more fields')
        return parser

    def take_action(self, args):
        fn = self.app.client_manager.fresco
        engines = fn.request('GET', '%s/v1/engines' % fn.endpoint).json()['engines']
        fields = ['id', 'host', 'state', 'running_calls', 'hot_containers', 'memory_used_mb',
                  'memory_budget_mb', 'last_heartbeat']
        if args.long:
            fields += ['url', 'call_slots', 'hot_routes', 'started_at']
        return common.table(engines, fields)
