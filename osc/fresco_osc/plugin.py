"""OpenStackClient hooks: how `openstack` finds Fresco and builds its client.

OSC imports this module (entry point `fresco` of group `openstack.cli.extension`) and loads the
commands of group `openstack.fresco.v1` (`openstack fn ...`). Every name OSC keys plugins by —
the extension name, API_NAME (the client_manager attribute and the command group) and the global
options — is Fresco's own, so that the plugin coexists with python-picassoclient (extension
`functions`, `--os-functions-api-version`) and python-qinlingclient (`function_engine`,
`--os-function-engine-api-version`): argparse refuses an option added twice, and OSC keeps one
client per API_NAME.
"""

import logging
import os

from osc_lib import utils

LOG = logging.getLogger(__name__)

DEFAULT_API_VERSION = '1'
API_VERSION_OPTION = 'os_fresco_api_version'
API_NAME = 'fresco'
API_VERSIONS = {'1': 'fresco_osc.client.Client'}

# The Keystone catalog type Fresco registers (as Picasso did), see devstack/lib/fresco.
SERVICE_TYPE = 'functions'
# The cloud-config key our --os-fresco-endpoint-override option fills (OSC drops the "os_").
ENDPOINT_OVERRIDE = 'fresco_endpoint_override'


def make_client(instance):
    """Return a Fresco client on OSC's keystoneauth session (token, retries, TLS settings).

    The endpoint is --os-fresco-endpoint-override if given, else the catalog's entry of type
    `functions` (where osc-lib also honours a `functions_endpoint_override` in clouds.yaml).
    """
    cls = utils.get_client_class(API_NAME, instance._api_version[API_NAME], API_VERSIONS)
    endpoint = instance.get_configuration().get(ENDPOINT_OVERRIDE) or \
        instance.get_endpoint_for_service_type(
            SERVICE_TYPE, region_name=instance.region_name, interface=instance.interface)
    LOG.debug('Fresco endpoint: %s', endpoint)
    return cls(session=instance.session, endpoint=endpoint)


def build_option_parser(parser):
    """Add Fresco's global options to the `openstack` parser."""
    parser.add_argument(
        '--os-fresco-api-version', metavar='<fresco-api-version>',
        default=utils.env('OS_FRESCO_API_VERSION', default=DEFAULT_API_VERSION),
        help='Fresco API version, default=%s (Env: OS_FRESCO_API_VERSION)' % DEFAULT_API_VERSION)
    parser.add_argument(
        '--os-fresco-endpoint-override', '--fn-endpoint', metavar='<url>',
        dest='os_fresco_endpoint_override',
        default=os.environ.get('OS_FRESCO_ENDPOINT_OVERRIDE') or None,
        help='Fresco API root URL instead of the catalog entry of type "%s" '
             '(Env: OS_FRESCO_ENDPOINT_OVERRIDE)' % SERVICE_TYPE)
    return parser
