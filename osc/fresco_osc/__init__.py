"""OpenStackClient plugin for Fresco (openstack fn ...)."""
