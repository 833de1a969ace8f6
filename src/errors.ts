// One error class with a stable code and an HTTP status; one place (api/middleware/errors.ts)
// turns it into a response. Every code is listed in docs/errors.md (a unit test checks it).

/** A failure a user or operator can act on. `expose` says whether the message may be shown. */
export class FrescoError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly expose = status < 500,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'FrescoError';
  }
}

export class ValidationError extends FrescoError {
  constructor(message: string, code = 'FRESCO_REQUEST_INVALID') {
    super(code, 400, message);
  }
}

export class NotFoundError extends FrescoError {
  constructor(code: string, message: string) {
    super(code, 404, message);
  }
}

export class ConflictError extends FrescoError {
  constructor(code: string, message: string) {
    super(code, 409, message);
  }
}

export class UnauthorizedError extends FrescoError {
  constructor(message: string, wwwAuthenticate?: string) {
    super('FRESCO_AUTH_REQUIRED', 401, message, true,
      wwwAuthenticate ? { 'WWW-Authenticate': wwwAuthenticate } : {});
  }
}

export class ForbiddenError extends FrescoError {
  constructor(message: string, code = 'FRESCO_AUTH_FORBIDDEN') {
    super(code, 403, message);
  }
}

export class ServiceUnavailableError extends FrescoError {
  constructor(code: string, message: string) {
    super(code, 503, message, true);
  }
}

/** Start-up configuration problem; the message names the option. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
