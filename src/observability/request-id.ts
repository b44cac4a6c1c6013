/**
 * Request ids: a client's or proxy's `x-request-id` is kept when it is a plausible id (bounded length, a conservative
 * charset that cannot break a log line or a header), otherwise one is generated. The id goes back in the response's
 * `x-request-id` header and into logs, spans and error bodies, so one request can be followed through all of them.
 */
import { randomUUID } from 'node:crypto';

/** The request and response header. */
export const REQUEST_ID_HEADER = 'x-request-id';

const VALID = /^[A-Za-z0-9._~:/+=@-]{1,128}$/;

/** True when a client-sent id may be used as is. */
export function isValidRequestId(value: string): boolean {
  return VALID.test(value);
}

/** The request id for a request: its valid `x-request-id` header, else a new UUID. */
export function requestIdFor(header: string | readonly string[] | undefined): string {
  const given = typeof header === 'string' ? header.trim() : undefined;
  return given !== undefined && isValidRequestId(given) ? given : randomUUID();
}
