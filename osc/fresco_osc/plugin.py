"""OpenStackClient hooks: how `openstack` finds Fresco and builds its client.

OSC imports this module (entry point `openstack.cli.extension`) and loads the commands of
group `openstack.functions.v1`.
"""

import logging
import os

from osc_lib import utils

LOG = logging.getLogger(__name__)

DEFAULT_API_VERSION = '1'
API_VERSION_OPTION = 'os_functions_api_version'
API_NAME = 'functions'
API_VERSIONS = {'1': 'fresco_osc.client.Client'}

# The Keystone catalog type Fresco registers (as Picasso did), see devstack/lib/fresco.
SERVICE_TYPE = 'functions'


def make_client(instance):
    """Return a Fresco client on OSC's keystoneauth session (token, retries, TLS settings)."""
    cls = utils.get_client_class(API_NAME, instance._api_version[API_NAME], API_VERSIONS)
    # An endpoint override in the cloud config (functions_endpoint_override, which our
    # --os-functions-endpoint-override option feeds) wins; else the token's catalog.
    endpoint = instance.get_endpoint_for_service_type(
        SERVICE_TYPE, region_name=instance.region_name, interface=instance.interface)
    LOG.debug('Fresco endpoint: %s', endpoint)
    return cls(session=instance.session, endpoint=endpoint)


def build_option_parser(parser):
    """Add Fresco's global options to the `openstack` parser."""
    parser.add_argument(
        '--os-functions-api-version', metavar='<functions-api-version>',
        default=utils.env('OS_FUNCTIONS_API_VERSION', default=DEFAULT_API_VERSION),
        help='Fresco API version, default=%s (Env: OS_FUNCTIONS_API_VERSION)' % DEFAULT_API_VERSION)
    # OSC strips "os_" from option names into the cloud config, where osc-lib's
    # get_endpoint_for_service_type looks for "<service type>_endpoint_override".
    parser.add_argument(
        '--os-functions-endpoint-override', '--fn-endpoint', metavar='<url>',
        dest='os_functions_endpoint_override',
        default=os.environ.get('OS_FUNCTIONS_ENDPOINT_OVERRIDE') or None,
        help='Fresco API root URL instead of the catalog entry of type "functions" '
             '(Env: OS_FUNCTIONS_ENDPOINT_OVERRIDE)')
    return parser

