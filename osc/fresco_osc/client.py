"""A thin Fresco v1 API client on a keystoneauth session.

The session adds X-Auth-Token (authenticating lazily, re-authenticating once on a 401); this
module only builds URLs under the project of the token and turns error answers into
CommandError with the API's own message, so that OSC prints one clean line and exits 1.
"""

from urllib import parse

from osc_lib import exceptions

USER_AGENT = 'fresco-osc'


class FrescoAPIError(exceptions.CommandError):
    """An error answer of the Fresco API: its message, HTTP status, code and request id."""

    def __init__(self, status, message, code=None, request_id=None, call_id=None):
        self.status = status
        self.code = code
        self.request_id = request_id
        self.call_id = call_id
        detail = 'HTTP %s' % status + (', %s' % code if code else '')
        text = '%s (%s)' % (message, detail)
        if call_id:
            # A failed run's record and log are what the user looks at next.
            text += ' (call %s)' % call_id
        if request_id:
            text += ' (Request-ID: %s)' % request_id
        super().__init__(text)


def quote(segment):
    """Percent-encode one URL path segment (app names, ids)."""
    return parse.quote(str(segment), safe='')


def route_path(path):
    """A route path with its leading slash, as the API stores it ("hello" -> "/hello")."""
    path = str(path)
    return path if path.startswith('/') else '/' + path


def quote_path(path):
    """Percent-encode a route path, keeping its slashes ("/img/resize" stays two segments)."""
    return parse.quote(route_path(path), safe='/')


def _error_from(resp):
    try:
        err = resp.json().get('error') or {}
    except ValueError:
        err = {}
    if not isinstance(err, dict):
        err = {'message': str(err)}
    message = err.get('message') or resp.text.strip() or resp.reason or 'request failed'
    request_id = err.get('request_id') or resp.headers.get('X-Openstack-Request-Id')
    call_id = err.get('call_id') or resp.headers.get('X-Fresco-Call-Id')
    return FrescoAPIError(resp.status_code, message, err.get('code'), request_id, call_id)


class Client(object):
    """Fresco API v1 under `endpoint` (the unversioned root URL), scoped to the token's project."""

    def __init__(self, session, endpoint, project_id=None):
        self.session = session
        self.endpoint = endpoint.rstrip('/')
        self._project_id = project_id

    @property
    def project_id(self):
        """The project of the token (authenticates if needed), unless one was given."""
        if not self._project_id:
            self._project_id = self.session.get_project_id()
        return self._project_id

    def url(self, *parts):
        """/v1/{project_id}/<parts...>; parts are already quoted."""
        return '%s/v1/%s/%s' % (self.endpoint, quote(self.project_id), '/'.join(parts))

    def request(self, method, url, **kwargs):
        """Send a request; returns the response, raises FrescoAPIError on 4xx/5xx."""
        resp = self.session.request(url, method, raise_exc=False, user_agent=USER_AGENT, **kwargs)
        if resp.status_code >= 400:
            raise _error_from(resp)
        return resp

    def root_url(self, *parts):
        """/v1/<parts...> for resources of no project (runtimes)."""
        return '%s/v1/%s' % (self.endpoint, '/'.join(parts))

    def post_form(self, fields, files, *parts):
        """POST a multipart form (route fields and a code file) under the project."""
        return self.request('POST', self.url(*parts), data=fields, files=files).json()

    def put_form(self, fields, files, *parts):
        return self.request('PUT', self.url(*parts), data=fields, files=files).json()

    def get(self, *parts, **kwargs):
        return self.request('GET', self.url(*parts), **kwargs).json()

    def post(self, body, *parts):
        return self.request('POST', self.url(*parts), json=body).json()

    def put(self, body, *parts):
        return self.request('PUT', self.url(*parts), json=body).json()

    def delete(self, *parts):
        return self.request('DELETE', self.url(*parts)).json()

    def run(self, app, path, data, content_type, headers=None):
        """POST /v1/r/{project}/{app}{path}: returns (status code, answer JSON). `headers`: more
        request headers (Fresco-Version, Fresco-Alias)."""
        url = '%s/v1/r/%s/%s%s' % (self.endpoint, quote(self.project_id), quote(app), quote_path(path))
        resp = self.request('POST', url, data=data, headers=dict(headers or {}, **{'Content-Type': content_type}))
        return resp.status_code, resp.json()
