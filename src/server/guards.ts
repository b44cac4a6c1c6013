/**
 * Who may talk to the server. Without a token only requests addressed to this machine by name are answered (a web
 * page on a domain that resolves to 127.0.0.1 — DNS rebinding — names its own domain in `Host`); with a token, the
 * token guards every route and `Host` is free (deployments sit behind proxies). Browser origins need `--cors`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIPv6 } from 'node:net';
import { ConfigError } from '../core/config.js';
import { HttpError } from './http.js';

/** Shortest bearer token `serve` accepts: guessable tokens are no protection once the port is reachable. */
export const MIN_TOKEN_LENGTH = 16;

/** Throws a ConfigError when a token is too short to protect anything (the token itself is never echoed). */
export function checkToken(token: string | undefined): void {
  if (token === undefined || token === '') return;
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new ConfigError(
      `the bearer token (--token / AGENTOR_TOKEN) is ${token.length} characters long; use at least ${MIN_TOKEN_LENGTH}, e.g. the output of \`openssl rand -hex 32\``,
    );
  }
}

/** Host names a request may be addressed to when no token is set; the rest of the world is answered 403. */
const LOCAL_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

/** The host part of a `Host` header or URL host, lower-cased, without the port (IPv6 keeps its brackets). */
export function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.indexOf(':');
  return (colon === -1 ? h : h.slice(0, colon)).replace(/\.$/, '');
}

/** What the guards need to know. */
export interface GuardOptions {
  token?: string;
  cors?: string;
  publicUrl?: string;
  /** More host names accepted without a token (e.g. the address `serve` bound). */
  allowedHosts?: readonly string[];
}

/** The access rules of one handler. */
export interface Guards {
  /** 403 unless the request is addressed to an allowed host (only enforced without a token). */
  checkHost(req: IncomingMessage): void;
  /** True when the request carries the token (always true without one). */
  authorized(req: IncomingMessage, queryToken?: string | null): boolean;
  /** 403 when a browser page from another origin asks and `--cors` does not allow it. */
  checkOrigin(req: IncomingMessage): void;
}

function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Builds the guards for a handler's options. */
export function createGuards(options: GuardOptions): Guards {
  const token = options.token || undefined;
  // Digests compare in constant time whatever the lengths, so a wrong guess says nothing about the token's length.
  const expected = token === undefined ? undefined : sha256(token);
  const allowed = new Set(LOCAL_HOSTS);
  if (options.publicUrl) allowed.add(hostName(new URL(options.publicUrl).host));
  for (const h of options.allowedHosts ?? []) allowed.add(hostName(isIPv6(h) ? `[${h}]` : h));

  return {
    checkHost(req) {
      if (expected) return;
      const host = req.headers.host;
      if (host === undefined || allowed.has(hostName(host))) return; // HTTP/1.0 without Host is no browser
      const shown = host.length > 100 ? `${host.slice(0, 100)}…` : host;
      throw new HttpError(
        403,
        `requests addressed to "${shown}" are refused: without a token this server only answers requests for ${[...allowed].join(', ')} (a defence against DNS rebinding). Use one of those names, start the server with --public-url <the URL clients use>, or set --token.`,
        'host_not_allowed',
      );
    },
    authorized(req, queryToken) {
      if (!expected) return true;
      const header = req.headers.authorization;
      const given =
        (typeof header === 'string' ? /^Bearer\s+(.+)$/i.exec(header.trim())?.[1] : undefined) ?? queryToken;
      return typeof given === 'string' && given !== '' && timingSafeEqual(sha256(given), expected);
    },
    checkOrigin(req) {
      const origin = req.headers.origin;
      if (!origin || options.cors === '*' || origin === options.cors) return;
      if (!sameOrigin(origin, req.headers.host)) {
        throw new HttpError(
          403,
          `requests from origin ${origin.length > 100 ? `${origin.slice(0, 100)}…` : origin} are not allowed; start the server with --cors <origin> to allow it`,
          'origin_not_allowed',
        );
      }
    },
  };
}
