/**
 * What remote clients learn about a failure: what failed in general terms, the upstream status, whether a retry may
 * help, and a stable string `code`. The provider's own message is the operator's view (the upstream URL, advice about
 * local flags and environment variables): it goes to the server log, never over the wire. The server writes the
 * public text itself from the code, so no provider — built in or custom — can leak operator details by accident.
 */
import type { AgentEvent, ErrorInfo, RunEndEvent } from '../core/events.js';
import { sanitize } from '../core/text/sanitize.js';

/** A failure as a remote client sees it. */
export interface PublicError {
  message: string;
  /** Always a non-empty string: the provider's code, or `run_failed`. */
  code: string;
  retryable: boolean;
}

/** Writes one line to the operator's log. */
export type ServerLog = (line: string) => void;

/** The default log: agentor serve's stderr. */
export const stderrLog: ServerLog = (line) => void process.stderr.write(`agentor serve: ${line}\n`);

/** General terms for the codes agentor's providers, tools and turn loop use. */
const MESSAGES: Record<string, string> = {
  not_configured: 'the server has no model provider configured',
  unauthorized: "the model provider rejected the server's credentials (HTTP 401)",
  not_found: 'the model provider does not know the model this agent uses (HTTP 404)',
  connection: 'the server could not reach its model provider',
  upstream_timeout: 'the model provider did not answer in time',
  stream_incomplete: "the model provider's connection closed before the answer was complete",
  malformed_chunk: 'the model provider sent a malformed response',
  stream_error: 'the model provider reported an error mid-answer',
  empty_body: 'the model provider answered with an empty body',
  timeout: "the run reached the server's time limit",
  max_turns: 'the agent stopped at its turn limit while the model still wanted to call tools',
  mcp_server_failed: 'a tool server of this agent is unavailable; the agent runs without its tools',
  tool_unavailable: 'a tool of this agent is unavailable; the agent runs without it',
  a2a_unreachable: 'the server could not reach the remote agent it relays',
  a2a_error: 'the remote agent this server relays failed',
  a2a_incomplete: 'the remote agent this server relays stopped before finishing',
  images_not_supported: "this agent's model does not accept images: send the message without them",
};

/** The public form of a failure (`fallback` is the message for codes without general terms). */
export function publicError(info: ErrorInfo | undefined, fallback = 'the run failed'): PublicError {
  const code = typeof info?.code === 'string' && info.code !== '' ? info.code : 'run_failed';
  const message = MESSAGES[code] ?? (/^\d{3}$/.test(code) ? `the model provider answered HTTP ${code}` : fallback);
  return { message, code, retryable: info?.retryable === true };
}

/**
 * The event as a remote client may see it: `error` and failed `run_end` events carry the public form of their error
 * (the original goes to `log`); every other event is returned as is, without a copy.
 */
export function publicEvent(event: AgentEvent, log: ServerLog): AgentEvent {
  if (event.type === 'error') {
    log(`run ${event.run_id}: ${sanitize(event.error.message)}`);
    const pub = publicError(event.error, 'the server reported a problem with this run');
    return { ...event, error: { ...pub, message: pub.retryable ? `${pub.message}; retrying` : pub.message } };
  }
  if (event.type === 'run_end' && event.error) return { ...event, error: publicRunError(event, log) };
  return event;
}

/** The public form of a run's error (`run_failed` when it has none); the original goes to `log`. */
export function publicRunError(end: RunEndEvent, log: ServerLog): PublicError {
  if (end.error) log(`run ${end.run_id} ended ${end.status}: ${sanitize(end.error.message)}`);
  return publicError(end.error);
}
