/**
 * The deploy context is self-contained: copied to a temporary directory with no node_modules anywhere above it, its
 * Dockerfile's CMD run with plain `node` serves the shipped agent — /health answers, the Dockerfile's HEALTHCHECK
 * reports what /readyz says, /chat streams SSE from the loopback fake OpenAI server with the agent's instructions and
 * model, and `docker stop`'s SIGTERM ends it with exit 143.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, runCli } from '../support/cli.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';
import { parseSse } from './serve-support.js';
import { tempDir } from '../support/cleanup.js';

const AGENT = `---
name: greeter
description: Greets people
model: gpt-greeter-1
tools: [calculator]
---
You greet people warmly, in one sentence.
`;
const TOKEN = 'deploy-test-token-0123456789';

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  await fake.close();
});

/** The exec-form instruction (`CMD [...]`) of a Dockerfile, parsed. */
function execForm(dockerfile: string, instruction: 'CMD'): string[] {
  const line = dockerfile.split('\n').find((l) => l.startsWith(`${instruction} [`));
  if (!line) throw new Error(`no exec-form ${instruction} in the Dockerfile`);
  return JSON.parse(line.slice(instruction.length + 1)) as string[];
}

describe('the deploy context, run with plain node', () => {
  it('serves the agent from a copy without node_modules: /health, the HEALTHCHECK, auth, streamed /chat, SIGTERM', async () => {
    const project = tempDir('agentor-deploy-serve-');
    mkdirSync(join(project, 'agents'));
    writeFileSync(join(project, 'agents', 'greeter.md'), AGENT);
    const made = await runCli(['deploy', '--agent', 'greeter'], { cwd: project, env: cleanEnv() });
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);

    const app = join(tempDir('agentor-app-'), 'app');
    cpSync(join(project, 'deploy', 'greeter'), app, { recursive: true });
    for (let dir = app; ; dir = dirname(dir)) {
      expect(existsSync(join(dir, 'node_modules')), `node_modules in ${dir}`).toBe(false);
      if (dirname(dir) === dir) break;
    }
    const dockerfile = readFileSync(join(app, 'Dockerfile'), 'utf8');
    const cmd = execForm(dockerfile, 'CMD');
    expect(cmd[0]).toBe('node');
    // The image's /app is this copy; the test binds loopback only (the token is still required, from the environment).
    const args = cmd
      .slice(1)
      .map((a) => (a.startsWith('/app/') ? join(app, a.slice('/app/'.length)) : a === '0.0.0.0' ? '127.0.0.1' : a));
    expect(args).toContain(join(app, 'agents', 'greeter.md'));

    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'],
      HOME: app,
      XDG_CONFIG_HOME: join(app, '.config'),
      XDG_STATE_HOME: join(app, '.state'),
      NODE_ENV: 'production',
      PORT: '0',
      AGENTOR_TOKEN: TOKEN,
      OPENAI_API_KEY: 'test',
      OPENAI_BASE_URL: fake.url,
    };
    const child = spawn(process.execPath, args, { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      await expect
        .poll(() => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1], { timeout: 15_000 })
        .toBeTruthy();
      const base = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)![1]!;
      const port = new URL(base).port;

      const health = await fetch(`${base}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });

      // The Dockerfile's HEALTHCHECK, as the container engine would run it: healthy exactly when /readyz says ready.
      const healthArgs = JSON.parse(/HEALTHCHECK [^\n]*\\\n\s+CMD (\[.*\])/.exec(dockerfile)![1]!) as string[];
      expect(healthArgs[0]).toBe('node');
      const probe = spawn(process.execPath, healthArgs.slice(1), { env: { PORT: port }, stdio: 'ignore' });
      const ready = await fetch(`${base}/readyz`);
      expect(await new Promise((resolve) => probe.on('close', resolve))).toBe(ready.ok ? 0 : 1);

      // The A2A card needs the bundled SDK, and reads agentor's version from the context's package.json.
      const card = (await (await fetch(`${base}/.well-known/agent-card.json`)).json()) as {
        name: string;
        version: string;
      };
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
        version: string;
      };
      expect(card).toMatchObject({ name: 'greeter', version: pkg.version, capabilities: { streaming: true } });

      const unauthorized = await fetch(`${base}/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"input":"hi"}',
      });
      expect(unauthorized.status).toBe(401);

      fake.enqueue({ text: ['Hello', ', ', 'friend!'] });
      const res = await fetch(`${base}/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, accept: 'text/event-stream' },
        body: JSON.stringify({ input: 'Say hi', stream: true }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const body = await res.text();
      const frames = parseSse(body).map((f) => ({
        type: f.event,
        data: JSON.parse(f.data) as { type: string; agent: string; text?: string; status?: string },
      }));
      for (const f of frames) expect(f.type).toBe(f.data.type);
      expect(frames[0]!.type).toBe('run_start');
      expect(frames.at(-1)).toMatchObject({ type: 'run_end', data: { status: 'completed', text: 'Hello, friend!' } });
      expect(
        frames
          .filter((f) => f.type === 'text_delta')
          .map((f) => f.data.text)
          .join(''),
      ).toBe('Hello, friend!');
      expect(frames.every((f) => f.data.agent === 'greeter')).toBe(true);

      const upstream = fake.requests.at(-1)!;
      expect(upstream.body.model).toBe('gpt-greeter-1');
      expect(upstream.body.messages[0]).toMatchObject({
        role: 'system',
        content: 'You greet people warmly, in one sentence.',
      });
      expect(upstream.headers['authorization']).toBe('Bearer test');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(143);
    expect(output).not.toContain(TOKEN);
  }, 90_000); // It bundles the whole CLI with esbuild and starts it: slow on a loaded 2-core machine.
});
