/**
 * The A2A agent card. A 1.0 client — or any client that does not say (the A2A TCK, a browser, curl) — gets the 1.0
 * card in the spec's JSON form (`securitySchemes.bearer.httpAuthSecurityScheme`, as `AgentCard.toJSON` writes it);
 * only a client asking for 0.x with `A2A-Version`, or for the pre-0.3 path `/.well-known/agent.json`, gets the 0.3
 * card, from the SDK's compatibility layer.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { A2A_PROTOCOL_VERSION, AgentCard, type AgentSkill } from '@a2a-js/sdk';
import { duplicateInterfacesForLegacy } from '@a2a-js/sdk/compat/v0_3';
import type { Agent } from '../core/agent.js';
import { agentorVersion } from '../core/package.js';
import { A2A_JSONRPC_PATH, A2A_REST_PATH } from './context.js';

/**
 * The agent card: name, description (never the instructions), a skill per tool available now (tools of an MCP server
 * that came up late included), streaming, reachable URLs.
 */
export function buildAgentCard(
  agent: Agent,
  baseUrl: string,
  options: { token?: string; version?: string },
): AgentCard {
  const base = baseUrl.replace(/\/+$/, '');
  const skill = (id: string, description: string, tags: string[]): AgentSkill => ({
    id,
    name: id,
    description,
    tags,
    examples: [],
    inputModes: ['text/plain'],
    outputModes: ['text/plain'],
    securityRequirements: [],
  });
  const skills = agent.tools.map((t) => skill(t.name, t.description, ['tool']));
  if (skills.length === 0) skills.push(skill('chat', agent.description || `Chat with ${agent.name}.`, ['chat']));
  const bearer = options.token !== undefined && options.token !== '';
  return {
    name: agent.name,
    description: agent.description || `${agent.name}, an agent served by agentor`,
    supportedInterfaces: duplicateInterfacesForLegacy(
      [
        {
          url: `${base}${A2A_JSONRPC_PATH}`,
          protocolBinding: 'JSONRPC',
          tenant: '',
          protocolVersion: A2A_PROTOCOL_VERSION,
        },
        {
          url: `${base}${A2A_REST_PATH}`,
          protocolBinding: 'HTTP+JSON',
          tenant: '',
          protocolVersion: A2A_PROTOCOL_VERSION,
        },
      ],
      ['JSONRPC', 'HTTP+JSON'],
    ),
    provider: { organization: 'agentor', url: base },
    version: options.version ?? agentorVersion(),
    capabilities: { streaming: true, pushNotifications: false, extensions: [], extendedAgentCard: false },
    securitySchemes: bearer
      ? {
          bearer: {
            scheme: {
              $case: 'httpAuthSecurityScheme',
              value: { scheme: 'Bearer', description: 'Authorization: Bearer <token>', bearerFormat: '' },
            },
          },
        }
      : {},
    securityRequirements: bearer ? [{ schemes: { bearer: { list: [] } } }] : [],
    defaultInputModes: ['text/plain'],
    defaultOutputModes: ['text/plain'],
    skills,
    signatures: [],
  };
}

/** True when this card request should get the 0.3 card. */
export function wantsLegacyCard(req: IncomingMessage, path: string): boolean {
  const asked = req.headers['a2a-version'];
  const version = (Array.isArray(asked) ? asked[0] : asked)?.trim();
  if (version) return version.startsWith('0.');
  return path === '/.well-known/agent.json';
}

/**
 * How long a client may use a card without asking again: not at all. The skills follow the tools available now (an MCP
 * server that starts late adds its own), so a client revalidates with the ETag instead and gets a 304 while nothing
 * changed.
 */
export const CARD_CACHE_CONTROL = 'no-cache';

/** Serves the 1.0 card in the spec's JSON form, with an ETag (built per request: the skills follow the tools). */
export function sendCard(req: IncomingMessage, res: ServerResponse, card: AgentCard): void {
  const body = JSON.stringify(AgentCard.toJSON(card));
  const etag = `W/"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
  const headers = {
    etag,
    vary: 'A2A-Version',
    'cache-control': CARD_CACHE_CONTROL,
  };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, {
    ...headers,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
  });
  res.end(body);
}
