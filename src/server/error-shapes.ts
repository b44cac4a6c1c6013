/**
 * One request problem (an HttpError), three wire shapes: the OpenAI error object under `/v1`, Google's AIP-193 error
 * (what the A2A HTTP+JSON binding uses) with `application/a2a+json` under the A2A REST path, and agentor's own
 * `{"error": {message, code}}` everywhere else. `code` is always agentor's stable string.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { A2A_REST_PATH } from './context.js';
import { sendJson, type HttpError } from './http.js';
import { openAIError } from './openai-compat.js';

/** google.rpc.Code names for the statuses agentor answers with. */
const RPC_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  405: 'UNIMPLEMENTED',
  408: 'DEADLINE_EXCEEDED',
  409: 'ABORTED',
  413: 'INVALID_ARGUMENT',
  415: 'INVALID_ARGUMENT',
  426: 'FAILED_PRECONDITION',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** The AIP-193 error body for an agentor error (reason: the code in upper snake case, domain: agentor). */
export function aipErrorBody(status: number, message: string, code: string, requestId?: string): unknown {
  const info = { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: code.toUpperCase(), domain: 'agentor' };
  return {
    error: {
      code: status,
      status: RPC_STATUS[status] ?? 'UNKNOWN',
      message,
      details: [requestId ? { ...info, metadata: { request_id: requestId } } : info],
    },
  };
}

/**
 * Answers an HttpError in the shape the route's clients understand. The request id (the response's `x-request-id`)
 * goes in the body too, so a client can quote it: `request_id` in agentor's and OpenAI's shapes, ErrorInfo metadata in
 * AIP's.
 */
export function sendHttpError(req: IncomingMessage, res: ServerResponse, e: HttpError): void {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const id = res.getHeader('x-request-id');
  const requestId = typeof id === 'string' ? id : undefined;
  if (path.startsWith('/v1/')) {
    for (const [k, v] of Object.entries(e.headers)) if (!res.headersSent) res.setHeader(k, v);
    const type = e.status === 401 ? 'authentication_error' : e.status >= 500 ? 'server_error' : 'invalid_request_error';
    return openAIError(res, e.status, e.message, type, e.code, null, requestId);
  }
  if (path === A2A_REST_PATH || path.startsWith(`${A2A_REST_PATH}/`)) {
    return sendJson(res, e.status, aipErrorBody(e.status, e.message, e.code, requestId), {
      ...e.headers,
      'content-type': 'application/a2a+json',
    });
  }
  sendJson(res, e.status, { error: { message: e.message, code: e.code, request_id: requestId } }, e.headers);
}
