/**
 * Tool approvals in one-shot chat (`--json`, `--plain`): nobody to ask, so an MCP tool not marked read-only is denied
 * (the model is told, the run goes on, stderr says how to allow it), unless `--allow-tool`, `--approve auto`, the agent
 * file's `allow:` or the config file allows it. The MCP server is the real stdio fixture; its write_note appends to a
 * file, so the test sees whether the call really ran.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cleanEnv, ndjson, runCli } from '../support/cli.js';
import { tempDir } from '../support/cleanup.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';

const FIXTURE = resolve(import.meta.dirname, '../support/mcp-stdio-server.ts');
let fake: FakeOpenAI;
let dir: string;
let notes: string;
let mcpConfig: string;

beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.clearQueue();
  fake.requests.length = 0;
  dir = tempDir('agentor-approvals-');
  notes = join(dir, 'notes.txt');
  mcpConfig = join(dir, 'mcp.json');
  writeFileSync(
    mcpConfig,
    JSON.stringify({
      mcpServers: {
        fixture: {
          command: process.execPath,
          args: ['--import', 'tsx', FIXTURE],
          cwd: resolve(import.meta.dirname, '../..'), // where tsx resolves
          env: { MCP_FIXTURE_NOTES: notes },
        },
      },
    }),
  );
  fake.enqueue(
    { toolCalls: [{ id: 'call_1', name: 'write_note', arguments: { text: 'buy milk' } }] },
    { text: 'All done.' },
  );
});

const env = (extra: Record<string, string> = {}) => cleanEnv({ OPENAI_API_KEY: 'sk-test', ...extra });
const chat = (args: string[], extra: Record<string, string> = {}) =>
  runCli(['chat', '--base-url', fake.url, '--mcp-config', mcpConfig, ...args, 'note: buy milk'], {
    env: env(extra),
    cwd: dir,
  });
const wrote = (): string => (existsSync(notes) ? readFileSync(notes, 'utf8') : '');
const toolMessageSeen = (): string =>
  (fake.requests[1]?.body.messages as Array<{ role: string; content: string }>).find((m) => m.role === 'tool')
    ?.content ?? '';

describe('one-shot chat: nobody to ask', () => {
  it('--json: denied by the policy, in order, the model told why, stderr says how to allow it', async () => {
    const r = await chat(['--json']);
    expect(r.code).toBe(0);
    const events = ndjson(r.stdout).filter((e) => e.type !== 'text_delta');
    expect(events.map((e) => e.type)).toEqual([
      'run_start',
      'tool_call',
      'tool_approval',
      'tool_result',
      'message',
      'run_end',
    ]);
    expect(events[2]).toMatchObject({ call_id: 'call_1', name: 'write_note', decision: 'denied', by: 'policy' });
    expect(String(events[2]?.['reason'])).toContain('MCP server "fixture" does not mark "write_note" read-only');
    expect(events[3]).toMatchObject({ is_error: true });
    expect(toolMessageSeen()).toMatch(/^Error: denied by the approval policy: .*there is no one to ask here/);
    expect(events.at(-1)).toMatchObject({ type: 'run_end', status: 'completed', text: 'All done.' });
    expect(r.stderr).toContain('write_note was denied');
    expect(r.stderr).toContain('--allow-tool write_note');
    expect(wrote()).toBe('');
  });

  it('--allow-tool NAME and --allow-tool server__* run it without asking', async () => {
    for (const pattern of ['write_note', 'fixture__*']) {
      if (pattern !== 'write_note')
        fake.enqueue(
          { toolCalls: [{ id: 'call_1', name: 'write_note', arguments: { text: 'buy milk' } }] },
          { text: 'All done.' },
        );
      const r = await chat(['--json', '--allow-tool', pattern]);
      expect(r.code, r.stderr).toBe(0);
      const types = ndjson(r.stdout).map((e) => e.type);
      expect(types).not.toContain('tool_approval');
      expect(ndjson(r.stdout).find((e) => e.type === 'tool_result')).toMatchObject({
        is_error: false,
        result: 'noted: buy milk',
      });
    }
    expect(wrote()).toBe('buy milk\nbuy milk\n');
  });

  it('--approve auto runs it; --approve never refuses it', async () => {
    expect((await chat(['--json', '--approve', 'auto'])).code).toBe(0);
    expect(wrote()).toBe('buy milk\n');
    fake.enqueue({ toolCalls: [{ id: 'c', name: 'write_note', arguments: { text: 'x' } }] }, { text: 'ok' });
    const never = await chat(['--json', '--approve', 'never']);
    expect(ndjson(never.stdout).find((e) => e.type === 'tool_approval')).toMatchObject({
      decision: 'denied',
      by: 'policy',
      reason: expect.stringContaining('refuses such calls (never)'),
    });
    expect(wrote()).toBe('buy milk\n');
  });

  it('--plain: the denial and how to allow it on stderr, only the answer on stdout', async () => {
    const r = await chat(['--plain']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('All done.\n');
    expect(r.stderr).toMatch(/✗ write_note denied by policy: .* — run again with --allow-tool write_note/);
  });

  it('the agent file (allow:) and the config file (approve:) allow it; bad values are usage errors', async () => {
    mkdirSync(join(dir, 'agents'));
    writeFileSync(
      join(dir, 'agents', 'scribe.md'),
      '---\nname: scribe\nallow: [fixture__write_note]\n---\nWrite notes.\n',
    );
    const byAgent = await chat(['--json', '--agent', 'scribe']);
    expect(byAgent.code, byAgent.stderr).toBe(0);
    expect(wrote()).toBe('buy milk\n');

    const config = env();
    mkdirSync(join(config['XDG_CONFIG_HOME'] as string, 'agentor'), { recursive: true });
    writeFileSync(join(config['XDG_CONFIG_HOME'] as string, 'agentor', 'config.json'), '{"approve": "auto"}');
    fake.enqueue({ toolCalls: [{ id: 'c', name: 'write_note', arguments: { text: 'eggs' } }] }, { text: 'ok' });
    const byConfig = await runCli(['chat', '--base-url', fake.url, '--mcp-config', mcpConfig, '--json', 'note'], {
      env: config,
      cwd: dir,
    });
    expect(byConfig.code, byConfig.stderr).toBe(0);
    expect(wrote()).toBe('buy milk\neggs\n');

    const bad = await runCli(['chat', '--demo', '--approve', 'yolo', 'hi'], { env: env() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--approve must be one of ask, auto, never');
    const badPattern = await runCli(['chat', '--demo', '--allow-tool', 'a b', 'hi'], { env: env() });
    expect(badPattern.code).toBe(2);
    expect(badPattern.stderr).toContain('is not a tool pattern');
    writeFileSync(join(dir, 'agents', 'bad.md'), '---\nname: bad\napprove: sometimes\n---\nx\n');
    const badAgent = await runCli(['chat', '--demo', '--agent', 'bad', 'hi'], { env: env(), cwd: dir });
    expect(badAgent.code).toBe(2);
    expect(badAgent.stderr).toMatch(/bad\.md: "approve" must be one of ask, auto, never/);
  });
});
