/** Sessions end to end: every chat is saved, `-c`/`-r` continue it, `agentor sessions` manages them. */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, useFakeOpenAI } from '../support/cleanup.js';
import { cleanEnv, ndjson, runCli, startCli } from '../support/cli.js';

const fake = useFakeOpenAI();

type Env = NodeJS.ProcessEnv;
const sessionsDir = (env: Env) => join(env['XDG_STATE_HOME'] as string, 'agentor', 'sessions');
const sessionFiles = (env: Env) => {
  try {
    return readdirSync(sessionsDir(env)).filter((f) => f.endsWith('.jsonl'));
  } catch {
    return [];
  }
};
const chat = (...args: string[]) => ['chat', '--base-url', fake().url, '--model', 'fake', ...args];
/** The messages of the n-th chat request the fake got (roles and contents). */
/** The session id of a --json run's run_start. */
const sessionOf = (stdout: string): string => (ndjson(stdout)[0] as Record<string, unknown>)['session_id'] as string;
const sent = (n: number) =>
  (fake().requests.filter((r) => r.path.endsWith('/chat/completions'))[n]?.body as { messages: unknown[] }).messages;

function header(id: string, cwd: string, created: number) {
  return {
    type: 'session',
    version: 1,
    id,
    created,
    cwd,
    agents: [{ name: 'assistant', model: 'fake' }],
    model: 'fake',
    agentor: '0',
  };
}

describe('every chat is a session', () => {
  it('--json: run_start names the session; -c continues it with the whole history, tool calls included', async () => {
    const env = cleanEnv({ OPENAI_API_KEY: 'sk-test' });
    const cwd = tempDir();
    fake().enqueue(
      { toolCalls: [{ id: 'call_1', name: 'calculator', arguments: { expression: '6*7' } }] },
      { text: '42' },
    );
    const first = await runCli(chat('--json', 'what is 6*7'), { env, cwd });
    expect(first.code).toBe(0);
    const start = ndjson(first.stdout)[0] as { type: string; session_id?: string };
    expect(start.type).toBe('run_start');
    expect(start.session_id).toMatch(/^[0-9a-f-]{36}$/);
    // stderr names it too, one plain line (no terminal: no colour, no hint); stdout stays pure NDJSON
    expect(first.stderr).toBe(`session: ${start.session_id}\n`);
    const file = join(sessionsDir(env), `${start.session_id}.jsonl`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(sessionsDir(env)).mode & 0o777).toBe(0o700);
    // The log is the header, the user message, then the events exactly as --json printed them.
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(JSON.parse(lines[0] as string)).toMatchObject({ type: 'session', id: start.session_id, cwd });
    expect(JSON.parse(lines[1] as string)).toMatchObject({ type: 'user', text: 'what is 6*7' });
    expect(lines.slice(2).join('\n')).toBe(first.stdout.trimEnd());

    fake().enqueue({ text: 'It is 42.' });
    const again = await runCli(chat('--json', '-c', 'say it again'), { env, cwd });
    expect(again.code).toBe(0);
    expect(sessionOf(again.stdout)).toBe(start.session_id);
    expect(sent(2)).toEqual([
      expect.objectContaining({ role: 'system' }),
      { role: 'user', content: 'what is 6*7' },
      expect.objectContaining({
        role: 'assistant',
        tool_calls: [
          expect.objectContaining({
            id: 'call_1',
            function: { name: 'calculator', arguments: '{"expression":"6*7"}' },
          }),
        ],
      }),
      { role: 'tool', tool_call_id: 'call_1', content: '42' },
      { role: 'assistant', content: '42' },
      { role: 'user', content: 'say it again' },
    ]);
    expect(sessionFiles(env)).toHaveLength(1);
  });

  it('-c picks the latest session of this directory only; without one it starts a new one and says so', async () => {
    const env = cleanEnv({ OPENAI_API_KEY: 'sk-test' });
    const here = tempDir();
    const there = tempDir();
    fake().enqueue({ text: 'one' }, { text: 'two' }, { text: 'three' });
    await runCli(chat('--plain', 'in here'), { env, cwd: here });
    await runCli(chat('--plain', 'over there'), { env, cwd: there });
    const r = await runCli(chat('--plain', '-c', 'continue here'), { env, cwd: here });
    expect(r.code).toBe(0);
    expect(sent(2)).toContainEqual({ role: 'user', content: 'in here' });
    expect(sent(2)).not.toContainEqual({ role: 'user', content: 'over there' });

    const fresh = tempDir();
    fake().enqueue({ text: 'new' });
    const n = await runCli(chat('--plain', '-c', 'hello'), { env, cwd: fresh });
    expect(n.code).toBe(0);
    expect(n.stderr).toContain('no earlier session in this directory: starting a new one');
    expect(sessionFiles(env)).toHaveLength(3);
  });

  it('-r takes an id or a unique prefix; unknown ids name the closest, ambiguous prefixes the candidates (exit 2)', async () => {
    const env = cleanEnv({ OPENAI_API_KEY: 'sk-test' });
    const cwd = tempDir();
    mkdirSync(sessionsDir(env), { recursive: true, mode: 0o700 });
    for (const id of ['abc111', 'abc222', 'xyz999']) {
      writeFileSync(
        join(sessionsDir(env), `${id}.jsonl`),
        `${JSON.stringify(header(id, cwd, 1))}\n${JSON.stringify({ type: 'user', ts: 1, text: `first of ${id}` })}\n`,
      );
    }
    fake().enqueue({ text: 'ok' });
    const ok = await runCli(chat('--json', '-r', 'xyz', 'next'), { env, cwd });
    expect(ok.code).toBe(0);
    expect(sessionOf(ok.stdout)).toBe('xyz999');
    // The recorded user message with no run after it (a killed process) is still part of the history.
    expect(sent(0)).toContainEqual({ role: 'user', content: 'next' });

    const ambiguous = await runCli(chat('--json', '-r', 'abc', 'next'), { env, cwd });
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain('"abc" matches 2 sessions');
    expect(ambiguous.stderr).toContain('abc111');
    expect(ambiguous.stderr).toContain('abc222');

    const unknown = await runCli(chat('--json', '-r', 'xyz998', 'next'), { env, cwd });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no session "xyz998". The closest ones:\n {2}xyz999/);

    const noId = await runCli(chat('--json', '-r'), { env, cwd });
    expect(noId.code).toBe(2);
    expect(noId.stderr).toContain('--resume needs a session id without a terminal');
    expect(noId.stderr).toContain('xyz999');
    expect(fake().requests).toHaveLength(1);
  });

  it('--no-session and config "sessions": false save nothing; --no-session with -c is a usage error', async () => {
    const env = cleanEnv({ OPENAI_API_KEY: 'sk-test' });
    const cwd = tempDir();
    fake().enqueue({ text: 'a' }, { text: 'b' });
    const off = await runCli(chat('--plain', '--no-session', 'hi'), { env, cwd });
    expect(off.code).toBe(0);
    expect(off.stderr).toBe('');
    expect(sessionFiles(env)).toEqual([]);
    mkdirSync(join(env['XDG_CONFIG_HOME'] as string, 'agentor'), { recursive: true });
    writeFileSync(join(env['XDG_CONFIG_HOME'] as string, 'agentor', 'config.json'), '{"sessions": false}');
    expect((await runCli(chat('--plain', 'hi'), { env, cwd })).code).toBe(0);
    expect(sessionFiles(env)).toEqual([]);
    const both = await runCli(chat('--plain', '--no-session', '-c', 'hi'), { env, cwd });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--no-session cannot be combined with --continue');
  });

  it('an unusable state directory: the chat still answers, with one warning', async () => {
    const base = tempDir();
    writeFileSync(join(base, 'not-a-dir'), '');
    const env = cleanEnv({ OPENAI_API_KEY: 'sk-test', XDG_STATE_HOME: join(base, 'not-a-dir') });
    fake().enqueue({ text: 'still here' });
    const r = await runCli(chat('--plain', 'hi'), { env, cwd: base });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('still here\n');
    expect(r.stderr.match(/not being saved/g)).toHaveLength(1);
  });

  it('a run killed mid-answer: resuming keeps the question and what had streamed', async () => {
    const env = cleanEnv({ OPENAI_API_KEY: 'sk-test' });
    const cwd = tempDir();
    fake().enqueue({ fault: 'hang', text: ['partial ', 'answer'] });
    const run = startCli(chat('--json', 'long question'), { env, cwd });
    await run.waitFor('"answer"');
    run.child.kill('SIGKILL');
    await run.done;
    fake().release();
    fake().enqueue({ text: 'resumed' });
    const r = await runCli(chat('--json', '-c', 'go on'), { env, cwd });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('cut short');
    expect(sent(1).slice(1)).toEqual([
      { role: 'user', content: 'long question' },
      { role: 'assistant', content: 'partial answer' },
      { role: 'user', content: 'go on' },
    ]);
  });

  it('a long --json answer: the log holds its lines byte for byte, and recording changes nothing on stdout', async () => {
    const env = cleanEnv({ OPENAI_API_KEY: 'sk-test' });
    const cwd = tempDir();
    // ~5,000 deltas, ~700 KB of log: many 64 KB slices, most written within one turn of the event loop
    const text = Array.from({ length: 5000 }, (_, i) => `tok${i} `);
    fake().enqueue({ text }, { text });
    const recorded = await runCli(chat('--json', 'tell me a long story'), { env, cwd });
    const unrecorded = await runCli(chat('--json', '--no-session', 'tell me a long story'), { env, cwd });
    expect([recorded.code, unrecorded.code]).toEqual([0, 0]);
    const id = sessionOf(recorded.stdout);
    const log = readFileSync(join(sessionsDir(env), `${id}.jsonl`), 'utf8');
    expect(log.split('\n').slice(2).join('\n')).toBe(recorded.stdout);
    // the same events, the same bytes, but for what differs between two runs (run id, clock, session id)
    const comparable = (stdout: string) =>
      stdout
        .replace(/"run_id":"run_[0-9a-f]+"/g, '"run_id":"R"')
        .replace(/"(ts|duration_ms)":\d+/g, '"$1":0')
        .replace(/,"session_id":"[0-9a-f-]+"/, '');
    expect(comparable(recorded.stdout)).toBe(comparable(unrecorded.stdout));
    expect(ndjson(recorded.stdout).filter((e) => e.type === 'text_delta')).toHaveLength(text.length);
  });

  it('several agents: one user message per round, each agent continues its own history', async () => {
    const env = cleanEnv();
    const cwd = tempDir();
    mkdirSync(join(cwd, 'agents'));
    writeFileSync(join(cwd, 'agents', 'alpha.md'), '---\nname: alpha\nmodel: demo\n---\nYou are alpha.\n');
    writeFileSync(join(cwd, 'agents', 'beta.md'), '---\nname: beta\nmodel: demo\n---\nYou are beta.\n');
    const first = await runCli(['chat', '--agent', 'alpha', '--agent', 'beta', '--json', 'hello both'], { env, cwd });
    expect(first.code).toBe(0);
    // -c loads the same agents again from the session's header.
    const again = await runCli(['chat', '-c', '--json', 'and again'], { env, cwd });
    expect(again.code).toBe(0);
    const events = ndjson<{ type: string; agent: string; session_id?: string }>(again.stdout);
    expect(new Set(events.filter((e) => e.type === 'run_end').map((e) => e.agent))).toEqual(new Set(['alpha', 'beta']));
    const [file] = sessionFiles(env);
    const records = readFileSync(join(sessionsDir(env), file as string), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; to?: string[] });
    expect(records.filter((r) => r.type === 'user').map((r) => r.to)).toEqual([
      ['alpha', 'beta'],
      ['alpha', 'beta'],
    ]);
    expect(sessionFiles(env)).toHaveLength(1);
  });
});

describe('agentor sessions', () => {
  it('list, show, export (jsonl and md), rm and prune', async () => {
    const env = cleanEnv({ OPENAI_API_KEY: 'sk-test' });
    const cwd = tempDir();
    fake().enqueue({ text: 'Paris \x1b[2Jis the capital.' });
    const r = await runCli(chat('--json', 'capital of France?'), { env, cwd });
    const id = sessionOf(r.stdout);

    const list = await runCli(['sessions'], { env, cwd });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(
      new RegExp(`^ID .*FIRST MESSAGE\\n${id.slice(0, 8)} +just now +1 +fake .*capital of France\\?`),
    );
    const json = JSON.parse((await runCli(['sessions', 'list', '--json'], { env, cwd })).stdout) as Array<{
      id: string;
      turns: number;
    }>;
    expect(json).toEqual([expect.objectContaining({ id, turns: 1, firstPrompt: 'capital of France?' })]);

    const show = await runCli(['sessions', 'show', id.slice(0, 5)], { env, cwd });
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('› you\ncapital of France?');
    expect(show.stdout).toContain('Paris');
    expect(show.stdout).not.toContain('\x1b[2J'); // recorded text never drives the terminal

    const jsonl = await runCli(['sessions', 'export', id], { env, cwd });
    expect(jsonl.stdout).toBe(readFileSync(join(sessionsDir(env), `${id}.jsonl`), 'utf8'));
    // `show --json` and `export --format json` are the raw log too.
    expect((await runCli(['sessions', 'show', id, '--json'], { env, cwd })).stdout).toBe(jsonl.stdout);
    expect((await runCli(['sessions', 'export', id, '--format', 'json'], { env, cwd })).stdout).toBe(jsonl.stdout);
    const out = join(cwd, 'chat.md');
    const md = await runCli(['sessions', 'export', id.slice(0, 6), '--format', 'md', '-o', out], { env, cwd });
    expect(md.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(
      /^# Session .*\n\n## You\n\ncapital of France\?\n\n## assistant\n\nParis/,
    );

    const missing = await runCli(['sessions', 'show', 'nope'], { env, cwd });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no session "nope". The closest ones:');

    writeFileSync(join(sessionsDir(env), 'old1.jsonl'), `${JSON.stringify(header('old1', cwd, 1))}\n`);
    const old = new Date(Date.now() - 40 * 86_400_000);
    const { utimesSync } = await import('node:fs');
    utimesSync(join(sessionsDir(env), 'old1.jsonl'), old, old);
    const dry = await runCli(['sessions', 'prune', '--older-than', '30d', '--dry-run'], { env, cwd });
    expect(dry.stdout).toMatch(/^would remove old1 /);
    expect(sessionFiles(env)).toHaveLength(2);
    const prune = await runCli(['sessions', 'prune', '--older-than', '30d'], { env, cwd });
    expect(prune.stderr).toContain('removed 1 session older than 30d');
    expect(sessionFiles(env)).toEqual([`${id}.jsonl`]);

    const rm = await runCli(['sessions', 'rm', id.slice(0, 8)], { env, cwd });
    expect(rm.code).toBe(0);
    expect(rm.stdout).toBe(`removed ${id}\n`);
    expect(sessionFiles(env)).toEqual([]);
  });

  it('rm keeps a session another live process is writing, unless --force', async () => {
    const env = cleanEnv({ OPENAI_API_KEY: 'sk-test' });
    const cwd = tempDir();
    fake().enqueue({ fault: 'hang', text: ['thinking'] });
    const run = startCli(chat('--json', 'hold on'), { env, cwd });
    await run.waitFor('"thinking"');
    const id = sessionOf(run.stdout());
    const refused = await runCli(['sessions', 'rm', id], { env, cwd });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/is in use \(pid \d+/);
    // A second chat resuming it continues in a copy (a fork) rather than writing the same log.
    fake().enqueue({ text: 'forked' });
    const fork = await runCli(chat('--json', '-r', id, 'meanwhile'), { env, cwd });
    expect(fork.code).toBe(0);
    expect(fork.stderr).toContain(`is in use by another agentor process`);
    const forkId = sessionOf(fork.stdout);
    expect(forkId).not.toBe(id);
    expect(
      JSON.parse(readFileSync(join(sessionsDir(env), `${forkId}.jsonl`), 'utf8').split('\n')[0] as string),
    ).toMatchObject({ parent: id });
    fake().release();
    await run.done;
    expect((await runCli(['sessions', 'rm', id], { env, cwd })).code).toBe(0);
  });
});
