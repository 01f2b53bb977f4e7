import { AppError, ServiceUnavailableError } from '../../shared/errors/index.js';

export class TooManyStreamsError extends AppError {
  constructor(limit: number) {
    super('too_many_streams', 429, `At most ${limit} live streams per user are open at once; close one first`, { headers: { 'retry-after': '5' } });
  }
}

export class StreamClosingError extends ServiceUnavailableError {
  constructor() {
    super('The server is shutting down; reconnect shortly', 'stream_closing', 1);
  }
}

/** API keys are long-lived secrets: they must not travel in URLs, which end up in logs and histories. */
export class ApiKeyInUrlError extends AppError {
  constructor() {
    super('api_key_in_url', 401, 'API keys are not accepted in ?access_token=; send them in the Authorization header', { headers: { 'www-authenticate': 'Bearer' } });
  }
}

/** The pub/sub bus (Redis) cannot take the subscription now. */
export class StreamUnavailableError extends ServiceUnavailableError {
  constructor(cause: unknown) {
    super('Live updates are unavailable right now; retry shortly', 'stream_unavailable', 5);
    this.cause = cause;
  }
}
