/** `agentor chat --agent a --agent b`: concurrent agents, one interleaved stream, one run_end each, Ctrl+C cancels all. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, ndjson, runCli, startCli, SESSION_LINE } from '../support/cli.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';
import { tempDir } from '../support/cleanup.js';

let cwd: string;
let fake: FakeOpenAI;
beforeAll(async () => {
  cwd = tempDir('agentor-multi-');
  mkdirSync(join(cwd, 'agents'));
  writeFileSync(
    join(cwd, 'agents', 'alpha.md'),
    '---\nname: alpha\ndescription: uses the calculator\n---\nYou are alpha.\n',
  );
  writeFileSync(join(cwd, 'agents', 'beta.md'), '---\nname: beta\ntools: [get_time]\n---\nYou are beta.\n');
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  await fake.close();
});

describe('multi-agent chat', () => {
  it('interleaves both agents in one NDJSON stream, each with its own run_id and run_end', async () => {
    const { code, stdout, stderr } = await runCli(
      ['chat', '--demo', '--agent', 'alpha', '--agent', 'beta', '--json', 'what is 6*7'],
      {
        cwd,
        env: cleanEnv({ AGENTOR_DEMO_DELAY_MS: '2' }),
      },
    );
    expect(stderr).toMatch(SESSION_LINE);
    expect(code).toBe(0);
    const events = ndjson(stdout);
    const byAgent = (name: string) => events.filter((e) => e.agent === name);
    const alpha = byAgent('alpha');
    const beta = byAgent('beta');
    expect(alpha.length + beta.length).toBe(events.length);
    for (const run of [alpha, beta]) {
      expect(run[0]?.type).toBe('run_start');
      expect(run.filter((e) => e.type === 'run_end')).toHaveLength(1);
      expect(run.at(-1)).toMatchObject({ type: 'run_end', status: 'completed' });
      expect(new Set(run.map((e) => e.run_id)).size).toBe(1);
      const seqs = run.map((e) => e.seq as number);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    }
    expect(alpha[0]?.run_id).not.toBe(beta[0]?.run_id);
    // Concurrent, not one after the other: each agent streamed before the other one finished.
    const endOf = (name: string) => events.findIndex((e) => e.agent === name && e.type === 'run_end');
    const firstDelta = (name: string) => events.findIndex((e) => e.agent === name && e.type === 'text_delta');
    expect(firstDelta('beta')).toBeLessThan(endOf('alpha'));
    expect(firstDelta('alpha')).toBeLessThan(endOf('beta'));
    // Each agent's own tools: alpha (all built-ins) used the calculator, beta (get_time only) could not.
    expect(alpha.some((e) => e.type === 'tool_result' && e.result === '42')).toBe(true);
    expect(beta.some((e) => e.type === 'tool_call')).toBe(false);
  });

  it('prefixes every plain-text line with its agent', async () => {
    const { code, stdout, stderr } = await runCli(['chat', '--demo', '--agent', 'alpha', '--agent', 'beta', '2+2'], {
      cwd,
    });
    expect(code).toBe(0);
    const lines = stdout.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(line).toMatch(/^\[(alpha|beta)\]( |$)/);
    expect(lines.some((l) => l.startsWith('[alpha] ') && l.includes('**4**'))).toBe(true);
    expect(lines.some((l) => l.startsWith('[beta] '))).toBe(true);
    expect(stderr).toMatch(/⚙ \[alpha\] calculator/);
  });

  it('gives repeated agents distinct names', async () => {
    const { code, stdout } = await runCli(
      ['chat', '--demo', '--agent', 'beta', '--agent', 'agents/beta.md', '--json', '--events', 'run_end', 'hi'],
      { cwd },
    );
    expect(code).toBe(0);
    expect(
      ndjson(stdout)
        .map((e) => e.agent)
        .sort(),
    ).toEqual(['beta', 'beta-2']);
  });

  it('Ctrl+C cancels every agent: one cancelled run_end each, upstream requests closed, exit 130', async () => {
    fake.enqueue({ fault: 'hang', text: ['partial '] }, { fault: 'hang', text: ['partial '] });
    const before = fake.disconnects;
    const cli = startCli(
      ['chat', '--agent', 'alpha', '--agent', 'beta', '--model', 'fake', '--base-url', fake.url, '--json', 'hello'],
      {
        cwd,
        env: cleanEnv({ OPENAI_API_KEY: 'test' }),
      },
    );
    await fake.waitForStreamStarted();
    await fake.waitForStreamStarted();
    await expect.poll(() => ndjson(cli.stdout()).filter((e) => e.type === 'text_delta').length).toBe(2);
    cli.child.kill('SIGINT');
    const { code, stdout } = await cli.done;
    expect(code).toBe(130);
    const ends = ndjson(stdout).filter((e) => e.type === 'run_end');
    expect(ends.map((e) => [e.agent, e.status, e.text]).sort()).toEqual([
      ['alpha', 'cancelled', 'partial '],
      ['beta', 'cancelled', 'partial '],
    ]);
    await expect.poll(() => fake.disconnects - before).toBe(2);
  });

  it('rejects an invalid agent file with exit 2, naming file and field', async () => {
    writeFileSync(join(cwd, 'agents', 'bad.md'), '---\nname: bad\nmax_turns: many\n---\n');
    const { code, stdout, stderr } = await runCli(['chat', '--demo', '--agent', 'bad', 'hi'], { cwd });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/agentor: .*agents\/bad\.md: "max_turns" must be a whole number ≥ 1, not the string "many"/);
  });

  it('agentor agents lists project and user agents, and flags broken files (exit 2)', async () => {
    const env = cleanEnv();
    const userDir = join(env['XDG_CONFIG_HOME'] as string, 'agentor', 'agents');
    mkdirSync(userDir, { recursive: true });
    writeFileSync(
      join(userDir, 'helper.md'),
      '---\nname: helper\ndescription: from the config dir\nmodel: gpt-4.1-mini\n---\nhi',
    );
    writeFileSync(join(cwd, 'agents', 'broken.md'), '---\nname: broken\ntemperature: hot\n---\n');
    writeFileSync(join(cwd, 'agents', 'quiet.md'), '---\nname: quiet\ntools: []\n---\nYou only talk.\n');
    const json = await runCli(['agents', '--json'], { cwd, env });
    expect(json.code).toBe(2);
    const listed = JSON.parse(json.stdout) as {
      agents: Array<{
        name: string | null;
        scope: string;
        error?: string;
        tools?: string[] | null;
        model?: string | null;
      }>;
    };
    const byName = new Map(listed.agents.map((a) => [a.name, a]));
    expect(byName.get('alpha')).toMatchObject({ scope: 'project', tools: null });
    expect(byName.get('beta')).toMatchObject({ scope: 'project', tools: ['get_time'] });
    expect(byName.get('helper')).toMatchObject({ scope: 'user', model: 'gpt-4.1-mini' });
    expect(
      listed.agents
        .filter((a) => a.name === null)
        .map((a) => a.error)
        .join('\n'),
    ).toMatch(/broken\.md: "temperature" must be a number from 0 to 2/);
    const text = await runCli(['agents'], { cwd, env });
    expect(text.stdout).toMatch(/^alpha +project +agents\/alpha\.md$/m);
    expect(text.stdout).toMatch(/^quiet +project +agents\/quiet\.md\n +no tools$/m);
    expect(text.stdout).toMatch(/^helper +user +.*helper\.md\n +from the config dir · model gpt-4\.1-mini$/m);
    // By name, the user-level agent is found when ./agents has none.
    const run = await runCli(['chat', '--demo', '--agent', 'helper', '--json', '--events', 'run_start', 'hi'], {
      cwd,
      env,
    });
    expect(ndjson(run.stdout)[0]).toMatchObject({ agent: 'helper', model: 'demo' });
  });
});
