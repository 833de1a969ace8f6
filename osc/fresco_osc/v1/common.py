"""Helpers shared by the fn commands: KEY=VALUE options and OSC output shaping."""

import argparse

from osc_lib.cli import format_columns
from osc_lib import utils



class HeadersColumn(format_columns.DictColumn):
    """Route headers ({name: [values]}) as "name='v1, v2'" in tables; lists in -f json."""

    def human_readable(self):
        return utils.format_dict({k: ', '.join(v) if isinstance(v, list) else v
                                  for k, v in (self._value or {}).items()})


# Nested objects render as "k='v'" in tables and stay objects with -f json/yaml.
FORMATTERS = {
    'config': format_columns.DictColumn,
    'filter': format_columns.DictColumn,
    'headers': HeadersColumn,
}


def key_value(text):
    """argparse type for KEY=VALUE."""
    key, sep, value = text.partition('=')
    if not sep or not key:
        raise argparse.ArgumentTypeError('expected KEY=VALUE, got %r' % text)
    return key, value


def add_key_value(parser, flag, dest, help_text):
    """A repeatable KEY=VALUE option collected as a list of pairs."""
    parser.add_argument(flag, metavar='<key=value>', dest=dest, action='append',
                        type=key_value, default=[], help=help_text + ' (repeat for more)')


def show(obj):
    """(fields, values) for a ShowOne, every field of the API object in name order."""
    fields = sorted(obj)
    return fields, utils.get_dict_properties(obj, fields, formatters=FORMATTERS)


def heading(field):
    """OSC's column heading for an API field: "created_at" -> "Created At", "id" -> "ID"."""
    return ' '.join('ID' if w == 'id' else w.capitalize() for w in field.split('_'))


def table(items, fields):
    """(headings, rows) for a Lister."""
    rows = (utils.get_dict_properties(i, fields, formatters=FORMATTERS) for i in items)
    return tuple(heading(f) for f in fields), rows


def merged(current, pairs, unset=()):
    """`current` (a dict) with KEY=VALUE pairs set and the `unset` keys removed."""
    result = dict(current or {})
    result.update(pairs)
    for key in unset:
        result.pop(key, None)
    return result
