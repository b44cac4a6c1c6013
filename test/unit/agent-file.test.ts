import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AgentFileError,
  findAgents,
  loadAgentFile,
  parseAgentFile,
  resolveAgentRef,
} from '../../src/core/agent-file.js';
import { ConfigError } from '../../src/core/config.js';
import { selectTools } from '../../src/commands/load-agents.js';
import { tempDir } from '../support/cleanup.js';

const FULL = `---
name: researcher            # required
description: Finds and summarises sources
model: gpt-4.1-mini
tools: [calculator, get_time]
temperature: 0.2
max_turns: 12
mcpServers:
  fs: { command: npx, args: [-y, server-filesystem, "."], env: { DEBUG: "1" } }
  web: { url: "http://127.0.0.1:9/mcp", headers: { Authorization: "Bearer \${TOKEN}" } }
---

You are a careful researcher.

Cite your sources.
`;

function problem(text: string): AgentFileError {
  try {
    parseAgentFile(text, 'agents/x.md');
  } catch (e) {
    expect(e).toBeInstanceOf(AgentFileError);
    expect(e).toBeInstanceOf(ConfigError); // the CLI prints ConfigErrors and exits 2
    return e as AgentFileError;
  }
  throw new Error('expected the file to be rejected');
}

describe('parseAgentFile', () => {
  it('reads every field and takes the body as instructions', () => {
    const def = parseAgentFile(FULL, 'agents/researcher.md');
    expect(def).toEqual({
      name: 'researcher',
      description: 'Finds and summarises sources',
      model: 'gpt-4.1-mini',
      tools: ['calculator', 'get_time'],
      temperature: 0.2,
      maxTurns: 12,
      mcpServers: {
        fs: { command: 'npx', args: ['-y', 'server-filesystem', '.'], env: { DEBUG: '1' } },
        web: { url: 'http://127.0.0.1:9/mcp', headers: { Authorization: 'Bearer ${TOKEN}' } },
      },
      instructions: 'You are a careful researcher.\n\nCite your sources.',
      path: 'agents/researcher.md',
    });
  });

  it('needs only a name; the body may be empty; CRLF files work', () => {
    expect(parseAgentFile('---\nname: tiny\n---\n')).toEqual({ name: 'tiny', instructions: '' });
    const def = parseAgentFile('---\r\nname: win\r\ntools: calculator, get_time\r\n---\r\nHello\r\n');
    expect(def.name).toBe('win');
    expect(def.tools).toEqual(['calculator', 'get_time']);
    expect(def.instructions).toBe('Hello');
  });

  it('keeps a "---" inside the body', () => {
    const def = parseAgentFile('---\nname: a\n---\nabove\n\n---\n\nbelow\n');
    expect(def.instructions).toBe('above\n\n---\n\nbelow');
  });

  it.each([
    ['no front matter', 'You are nobody.', undefined, /no YAML front matter/],
    ['unterminated front matter', '---\nname: a\nYou are…', undefined, /no YAML front matter/],
    ['invalid YAML', '---\nname: [a\ntools: 1\n---\n', undefined, /not valid YAML \(line \d+/],
    ['front matter is a list', '---\n- a\n- b\n---\n', undefined, /must be a YAML mapping/],
    ['missing name', '---\ndescription: x\n---\n', 'name', /is required/],
    ['empty front matter', '---\n\n---\nbody', 'name', /is required/],
    ['name not a string', '---\nname: 42\n---\n', 'name', /must be a string, not number 42/],
    ['name with spaces', '---\nname: my agent\n---\n', 'name', /not a valid name/],
    ['unknown field', '---\nname: a\nmax_turn: 3\n---\n', 'max_turn', /not a known field/],
    [
      'description not a string',
      '---\nname: a\ndescription: [x]\n---\n',
      'description',
      /must be a string, not a list/,
    ],
    ['model empty', '---\nname: a\nmodel: ""\n---\n', 'model', /non-empty string/],
    ['tools not a list', '---\nname: a\ntools: { calculator: true }\n---\n', 'tools', /must be a list/],
    [
      'tools item not a name',
      '---\nname: a\ntools: [calculator, 7]\n---\n',
      'tools',
      /item 2 must be a tool name .*, not number 7/,
    ],
    ['temperature out of range', '---\nname: a\ntemperature: 3\n---\n', 'temperature', /from 0 to 2, not number 3/],
    [
      'temperature a string',
      '---\nname: a\ntemperature: hot\n---\n',
      'temperature',
      /from 0 to 2, not the string "hot"/,
    ],
    ['max_turns zero', '---\nname: a\nmax_turns: 0\n---\n', 'max_turns', /whole number ≥ 1/],
    ['max_turns fractional', '---\nname: a\nmax_turns: 1.5\n---\n', 'max_turns', /whole number ≥ 1/],
    ['mcpServers not a mapping', '---\nname: a\nmcpServers: [x]\n---\n', 'mcpServers', /must be an object/],
    [
      'mcp server without command or url',
      '---\nname: a\nmcpServers: { fs: { args: [x] } }\n---\n',
      'mcpServers',
      /fs needs "command".*or "url"/,
    ],
    [
      'mcp server args not strings',
      '---\nname: a\nmcpServers: { fs: { command: x, args: [[1]] } }\n---\n',
      'mcpServers',
      /fs\.args must be a list of strings/,
    ],
  ])('rejects %s, naming the file and the field', (_case, text, field, pattern) => {
    const e = problem(text);
    expect(e.file).toBe('agents/x.md');
    expect(e.field).toBe(field);
    expect(e.message.startsWith('agents/x.md: ')).toBe(true);
    if (field) expect(e.message).toContain(`"${field}"`);
    expect(e.message).toMatch(pattern);
  });
});

describe('agent lookup', () => {
  function tree() {
    const root = tempDir('agentor-agents-');
    const cwd = join(root, 'project');
    const env = { XDG_CONFIG_HOME: join(root, 'config') } as NodeJS.ProcessEnv;
    mkdirSync(join(cwd, 'agents'), { recursive: true });
    mkdirSync(join(root, 'config', 'agentor', 'agents'), { recursive: true });
    writeFileSync(join(cwd, 'agents', 'writer.md'), '---\nname: writer\n---\nproject writer');
    writeFileSync(join(cwd, 'agents', 'broken.md'), '---\nname: broken\ntemperature: x\n---\n');
    writeFileSync(join(cwd, 'agents', 'research.md'), '---\nname: researcher\n---\nby front-matter name');
    writeFileSync(join(root, 'config', 'agentor', 'agents', 'writer.md'), '---\nname: writer\n---\nuser writer');
    writeFileSync(join(root, 'config', 'agentor', 'agents', 'helper.md'), '---\nname: helper\n---\nuser helper');
    writeFileSync(join(cwd, 'custom.md'), '---\nname: custom\n---\nby path');
    return { cwd, env, root };
  }

  it('resolves a path, then ./agents/<name>.md, then <config>/agents/<name>.md', () => {
    const { cwd, env, root } = tree();
    expect(resolveAgentRef('custom.md', { cwd, env })).toBe(join(cwd, 'custom.md'));
    expect(resolveAgentRef('./custom.md', { cwd, env })).toBe(join(cwd, 'custom.md'));
    expect(resolveAgentRef('writer', { cwd, env })).toBe(join(cwd, 'agents', 'writer.md'));
    expect(resolveAgentRef('helper', { cwd, env })).toBe(join(root, 'config', 'agentor', 'agents', 'helper.md'));
    expect(resolveAgentRef('researcher', { cwd, env })).toBe(join(cwd, 'agents', 'research.md'));
    expect(loadAgentFile(resolveAgentRef('helper', { cwd, env })).instructions).toBe('user helper');
  });

  it('says where it looked when nothing matches', () => {
    const { cwd, env } = tree();
    expect(() => resolveAgentRef('nobody', { cwd, env })).toThrow(
      /no agent named "nobody" \(looked for .*project\/agents\/nobody\.md and .*config\/agentor\/agents\/nobody\.md\)/,
    );
    expect(() => resolveAgentRef('missing.md', { cwd, env })).toThrow(/--agent missing\.md: no such file/);
  });

  it('lists every agent file in lookup order, with the problems of broken ones', () => {
    const { cwd, env } = tree();
    const found = findAgents({ cwd, env });
    expect(found.map((f) => [f.scope, f.definition?.name ?? null, Boolean(f.shadowed)])).toEqual([
      ['project', null, false],
      ['project', 'researcher', false],
      ['project', 'writer', false],
      ['user', 'helper', false],
      ['user', 'writer', true],
    ]);
    expect(found[0]?.error).toMatch(/broken\.md: "temperature" must be a number/);
  });
});

describe('tools: selection', () => {
  const def = (tools: string[]) => ({ name: 'a', instructions: '', tools, path: 'agents/a.md' });
  const mcpTool = (name: string) => ({ name, description: '', parameters: {}, execute: () => '' });
  const toolset = {
    tools: [mcpTool('read_file'), mcpTool('fs__calculator')],
    errors: [],
    servers: { fs: ['read_file', 'fs__calculator'] },
  };

  it('limits the agent to the built-ins and MCP tools it names', () => {
    expect(selectTools(def(['get_time']), toolset, []).map((t) => t.name)).toEqual(['get_time']);
    expect(selectTools(def(['read_file', 'calculator']), toolset, []).map((t) => t.name)).toEqual([
      'read_file',
      'calculator',
    ]);
    expect(selectTools(def(['fs__read_file']), toolset, []).map((t) => t.name)).toEqual(['read_file']);
    expect(selectTools(def(['fs']), toolset, []).map((t) => t.name)).toEqual(['read_file', 'fs__calculator']);
    expect(selectTools(def(['fs__*']), toolset, []).map((t) => t.name)).toEqual(['read_file', 'fs__calculator']);
  });

  it('rejects an unknown tool, unless a failed MCP server might have had it', () => {
    expect(() => selectTools(def(['web_search']), toolset, [])).toThrow(
      /agents\/a\.md: "tools" names an unknown tool "web_search" \(available: calculator, get_time, read_file/,
    );
    const problems: { message: string }[] = [];
    const failed = { ...toolset, errors: [{ message: 'MCP server "web" failed to start', retryable: false }] };
    expect(selectTools(def(['web_search', 'get_time']), failed, problems as never).map((t) => t.name)).toEqual([
      'get_time',
    ]);
    expect(problems[0]?.message).toMatch(/tool "web_search" is not available/);
  });
});
