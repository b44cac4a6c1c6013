/** The package's library surface: what a program embedding agents needs, and none of the CLI's own parts. */
import { describe, expect, it } from 'vitest';
import * as library from '../../src/index.js';

describe('the library surface (src/index.ts)', () => {
  it('exports the agent, its stream and operators, tools, providers, agent and MCP files, and serve()', () => {
    for (const name of [
      'Agent',
      'Conversation',
      'EVENT_TYPES',
      'filterEvents',
      'coalesceText',
      'joinTurns',
      'mergeStreams',
      'runEndOf',
      'streamAgents',
      'tool',
      'calculator',
      'OpenAIProvider',
      'DemoProvider',
      'A2AProvider',
      'ProviderError',
      'imagePart',
      'userContent',
      'sanitize',
      'loadAgentFile',
      'McpPool',
      'serve',
      'createRequestHandler',
    ])
      expect(library, name).toHaveProperty(name);
  });

  it('leaves out CLI internals: exit codes, the MCP notice wrapper, usage bookkeeping', () => {
    for (const name of ['exitCodeFor', 'withNotices', 'emptyUsage', 'keptTypes', 'TurnJoiner', 'buildProvider'])
      expect(library, name).not.toHaveProperty(name);
  });
});
