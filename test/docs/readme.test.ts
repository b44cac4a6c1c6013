/**
 * The README stays true: its shell examples that need no network run as written (`agentor` is the built CLI) and their
 * output is compared with what the README shows, up to what changes from run to run (ids, times, ports); the flag
 * tables match `--help`; the documented defaults and precedences hold.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cleanEnv, ndjson, runCli, startCli } from '../support/cli.js';
import { cleanup, tempDir } from '../support/cleanup.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';

const ROOT = join(import.meta.dirname, '../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

let fake: FakeOpenAI;
beforeAll(async () => {
  // Every request gets the same answer: nothing queued for one run can reach the next.
  fake = await startFakeOpenAI({ fallback: { text: ['ok'] } });
});
afterAll(async () => {
  await fake.close();
});

/** The bodies of the README's fenced blocks in `lang`, in order. */
function fenced(lang: string): string[] {
  return [...README.matchAll(new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\`$`, 'gm'))].map((m) => m[1] as string);
}

/** A `$ command` of a console block (continuation lines joined) and the output lines the README shows under it. */
interface Example {
  command: string;
  output: string[];
}
function examples(): Example[] {
  const out: Example[] = [];
  for (const block of fenced('console')) {
    const lines = block.replace(/\n$/, '').split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (!lines[i]!.startsWith('$ ')) continue;
      let command = lines[i]!.slice(2);
      while (command.endsWith('\\')) command = `${command.slice(0, -1)} ${lines[++i]!.trim()}`;
      const output: string[] = [];
      while (i + 1 < lines.length && !lines[i + 1]!.startsWith('$ ')) output.push(lines[++i]!);
      while (output.at(-1) === '') output.pop();
      out.push({ command, output });
    }
  }
  return out;
}
function example(prefix: string): Example {
  const found = examples().find((e) => e.command.startsWith(prefix));
  if (!found) throw new Error(`the README has no console example starting with "$ ${prefix}"`);
  return found;
}

/** Runs a README command line in sh, with `agentor` (or `npx agentor`) being the built CLI. */
async function sh(
  command: string,
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const line = command.replace(/^(npx )?agentor /, `"${process.execPath}" "${BIN}" `);
  return new Promise((resolve) => {
    const child = execFile(
      'sh',
      ['-c', line],
      { cwd: opts.cwd, env: opts.env ?? cleanEnv() },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
    // As typed at a prompt: nothing is piped in.
    child.stdin?.end();
    cleanup(() => child.kill('SIGKILL'));
  });
}

/** What differs between runs (ids, timestamps, durations, the image tag's content hash) and Node versions. */
const stable = (line: string): string =>
  line
    .replace(/run_[0-9a-f]{24}/g, 'run_…')
    .replace(/call_demo_[a-z0-9]+/g, 'call_demo_…')
    .replace(/"(ts|duration_ms)":\d+/g, '"$1":…')
    .replace(/\b\d+(\.\d+)?m?s\b/g, '…s')
    .replace(/:[0-9a-f]{12}\b/g, ':<hash>')
    // JSON.parse's message, quoted in the 400 answer, gained a "(line 1 column 2)" in Node 22.
    .replace(/ \(line \d+ column \d+\)/g, '')
    .trimEnd();

/** Output lines as the README shows them: up to a line `…`, which stands for "more follows". */
function expectShown(actual: string, shown: string[]): void {
  const cut = shown.indexOf('…');
  const expected = (cut === -1 ? shown : shown.slice(0, cut)).map(stable);
  const lines = actual.replace(/\n+$/, '').split('\n').map(stable);
  expect(cut === -1 ? lines : lines.slice(0, expected.length)).toEqual(expected);
}

/** A project directory holding the README's agent files under agents/. */
function projectWithReadmeAgents(): string {
  const cwd = tempDir('agentor-docs-');
  mkdirSync(join(cwd, 'agents'));
  for (const file of fenced('md')) {
    const name = /^name: (\S+)/m.exec(file)?.[1];
    if (name) writeFileSync(join(cwd, 'agents', `${name}.md`), file);
  }
  return cwd;
}

/** The long flags in the first column of the markdown table that follows `marker` in the README. */
function tableFlags(marker: string): string[] {
  const at = README.indexOf(marker);
  if (at === -1) throw new Error(`README: no "${marker}"`);
  const table =
    README.slice(at)
      .split('\n\n')
      .find((p) => p.startsWith('| flag |')) ?? '';
  return table
    .split('\n')
    .slice(2)
    .flatMap((row) => [...(row.split('|')[1] ?? '').matchAll(/--[a-z][a-z0-9-]*/g)].map((m) => m[0]))
    .sort();
}

/** The long flags `agentor <command> --help` lists, without --help itself. */
async function helpFlags(command: string): Promise<string[]> {
  const r = await runCli([command, '--help']);
  expect(r.code).toBe(0);
  const options = r.stdout.split(/^Options:$/m)[1]?.split(/^\S/m)[0] ?? '';
  return [...options.matchAll(/^ {2}(?:-\w, )?(--[a-z][a-z0-9-]*)/gm)]
    .map((m) => m[1] as string)
    .filter((f) => f !== '--help')
    .sort();
}

describe('README: the examples run as shown', () => {
  it('the quick start demo, piped', async () => {
    const ex = example('npx agentor chat --demo');
    const r = await sh(ex.command);
    expect(r.code).toBe(0);
    expectShown(r.stdout, ex.output);
  });

  const eventsCommand = /Real output of `(agentor chat [^`]+)`:\n\n```json\n([\s\S]*?)```/.exec(README);
  it('the --events example prints the events shown, field for field', async () => {
    expect(eventsCommand).not.toBeNull();
    const [, command, shown] = eventsCommand as RegExpExecArray;
    const r = await sh(command!);
    const actual = ndjson(r.stdout);
    const expected = ndjson(shown!);
    expect(actual.map((e) => Object.keys(e).sort())).toEqual(expected.map((e) => Object.keys(e).sort()));
    expect(r.stdout.split('\n').map(stable)).toEqual(shown!.split('\n').map(stable));
  });
  // The README promises exit 0 for a completed run whatever --events shows (the exit code comes from the real run_end).
  it('the --events example exits 0: the run completed', async () => {
    const r = await sh(eventsCommand![1]!);
    expect(r.code).toBe(0);
  });

  it('agentor agents, with the README agent file', async () => {
    const ex = example('agentor agents');
    const r = await sh(ex.command, { cwd: projectWithReadmeAgents() });
    expect(r.code).toBe(0);
    expectShown(r.stdout, ex.output);
  });

  it('an MCP server that fails to start is reported and the run goes on', async () => {
    const ex = example('agentor chat --demo "hi"');
    expect(ex.command).toContain('with an mcp.json naming a missing binary');
    const cwd = tempDir('agentor-docs-mcp-');
    writeFileSync(
      join(cwd, 'mcp.json'),
      JSON.stringify({ mcpServers: { bad: { command: 'nonexistent-mcp-binary' } } }),
    );
    const r = await sh(ex.command, { cwd });
    expect(r.code).toBe(0);
    expectShown(r.stderr, ex.output);
  });

  it('the agents the README runs are the README agent files, and run offline with --demo', async () => {
    const defined = fenced('md').map((f) => /^name: (\S+)/m.exec(f)?.[1]);
    const commands = [...examples().map((e) => e.command), ...fenced('sh')].join('\n');
    const used = [...commands.matchAll(/--agent ([a-z][\w-]*)/g)].map((m) => m[1]);
    expect(used.length).toBeGreaterThan(0);
    for (const name of used) expect(defined, `--agent ${name}`).toContain(name);
    const r = await runCli(
      ['chat', '--demo', '--agent', 'researcher', '--agent', 'critic', '--plain', 'are you sure?'],
      {
        cwd: projectWithReadmeAgents(),
      },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\[researcher\] /m);
    expect(r.stdout).toMatch(/^\[critic\] /m);
  });

  it('the deploy dry run, with the README agent file: the plan shown, its bundle within 15% of the numbers shown', async () => {
    const ex = example('agentor deploy --agent researcher --target kubernetes --replicas 2 --with-redis --dry-run');
    const r = await sh(ex.command, { cwd: projectWithReadmeAgents() });
    expect(r.code).toBe(0);
    const size = /\b\d+(\.\d+)? (B|kB|MB)\b/g;
    const bundle = /bundle +agentor [\d.]+, (\d+) modules → dist\/agentor\.mjs \(([\d.]+) MB\)/;
    const shownBundle = ex.output.map((l) => bundle.exec(l)).find(Boolean);
    const actualBundle = bundle.exec(r.stdout);
    expect(shownBundle).toBeTruthy();
    expect(actualBundle).toBeTruthy();
    for (const i of [1, 2]) {
      const [shown, actual] = [Number(shownBundle![i]), Number(actualBundle![i])];
      expect(
        Math.abs(actual - shown) / shown,
        `bundle ${i === 1 ? 'modules' : 'MB'}: ${actual} vs ${shown}`,
      ).toBeLessThan(0.15);
    }
    const masked = (l: string): string => l.replace(bundle, 'bundle').replace(size, '<size>');
    expectShown(r.stdout.split('\n').map(masked).join('\n'), ex.output.map(masked));
  });

  it('serve, and the curl examples against it', async () => {
    const ex = example('agentor serve --demo --port 8765');
    const server = startCli(['serve', '--demo', '--port', '0', '--log-format', 'text']);
    await server.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)\n[\s\S]*Ctrl\+C/, 'stderr');
    const port = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(server.stderr())![1]!;
    const withPort = (s: string): string => s.replaceAll('8765', port);
    expectShown(server.stderr(), ex.output.map(withPort));

    const curls = examples().filter((e) => e.command.startsWith('curl '));
    expect(curls.length).toBeGreaterThanOrEqual(2);
    for (const curl of curls) {
      const r = await sh(withPort(curl.command));
      expect(r.code, curl.command).toBe(0);
      expectShown(r.stdout, curl.output);
    }

    // "It works in every output mode, and against `agentor serve` itself."
    const a2a = await runCli(['chat', '--a2a', `http://127.0.0.1:${port}`, 'What is 2+3?']);
    expect(a2a.code, a2a.stderr).toBe(0);
    expect(a2a.stdout).toContain('**5**');

    server.child.kill('SIGTERM');
    expect((await server.done).code).toBe(143);
  });

  it('the library names the README uses are exported', async () => {
    const lib = (await import(join(ROOT, 'dist/index.js'))) as Record<string, unknown>;
    const named = new Set<string>();
    for (const block of fenced('ts')) {
      for (const m of block.matchAll(/import \{([^}]+)\} from 'agentor'/g))
        for (const name of m[1]!.split(',')) named.add(name.trim());
    }
    const operators = /Stream operators: ([^.]+)\./.exec(README)?.[1] ?? '';
    for (const m of operators.matchAll(/`(\w+)`/g)) named.add(m[1]!);
    // Named in the prose: `await serve(agent, …)`, `createRequestHandler(agent)`, `streamAgents([a, b], …)`.
    for (const name of ['serve', 'createRequestHandler', 'streamAgents']) {
      expect(README).toContain(`${name}(`);
      named.add(name);
    }
    expect(named.size).toBeGreaterThan(8);
    expect([...named].filter((name) => lib[name] === undefined)).toEqual([]);
  });
});

describe('README: the reference tables match the CLI', () => {
  it("chat's flag table lists exactly the flags of `agentor chat --help`", async () => {
    expect(tableFlags('## Using it')).toEqual(await helpFlags('chat'));
  });

  it("serve's flag table lists exactly the flags of `agentor serve --help`", async () => {
    expect(tableFlags('runs one HTTP server exposing the agent')).toEqual(await helpFlags('serve'));
  });

  it('the exit code table lists the codes `agentor chat --help` names', async () => {
    const table = README.slice(README.indexOf('### Exit codes')).split('\n\n')[1] ?? '';
    const documented = [...table.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]));
    const help = (await runCli(['chat', '--help'])).stdout;
    const named = [...(/Exit codes: (.*)/.exec(help)?.[1] ?? '').matchAll(/(\d+) /g)].map((m) => Number(m[1]));
    expect(documented).toEqual(named);
  });
});

describe('README: the Node versions agree', () => {
  it("the README's minimum is package.json's engines, and its deploy image is the one deploy writes", async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
    const min = /^>=(\d+\.\d+)$/.exec(pkg.engines.node)?.[1];
    expect(min).toBeDefined();
    expect(README).toContain(`Requires Node.js ${min} or later`);
    const { NODE_IMAGE } = (await import(join(ROOT, 'src/deploy/spec.ts'))) as { NODE_IMAGE: string };
    expect(README).toContain(`\`${NODE_IMAGE}\``);
    expect(README.match(/`node:\d+-slim`/g)?.every((m) => m === `\`${NODE_IMAGE}\``)).toBe(true);
  });
});

describe('README: documented defaults and precedence', () => {
  const runStart = (stdout: string): string => String(ndjson(stdout).find((e) => e.type === 'run_start')?.['model']);

  it('the default model is gpt-4.1-mini', async () => {
    expect(README).toContain('default `gpt-4.1-mini`');
    const r = await runCli(['chat', '--json', '--base-url', fake.url, 'hi'], {
      env: cleanEnv({ OPENAI_API_KEY: 'k' }),
    });
    expect(r.code).toBe(0);
    expect(runStart(r.stdout)).toBe('gpt-4.1-mini');
    expect(fake.requests.at(-1)?.body).toMatchObject({ model: 'gpt-4.1-mini' });
  });

  /** The model of a `chat --json` run, with the config file saying "from-config" and two agent files. */
  async function modelOf(args: string[], env: Record<string, string> = {}): Promise<string> {
    const cwd = tempDir('agentor-docs-model-');
    mkdirSync(join(cwd, 'agents'));
    writeFileSync(join(cwd, 'agents', 'a.md'), '---\nname: a\nmodel: demo\n---\nBe brief.\n');
    writeFileSync(join(cwd, 'agents', 'b.md'), '---\nname: b\nmodel: from-file\n---\nBe brief.\n');
    const e = cleanEnv({ OPENAI_API_KEY: 'k', ...env });
    mkdirSync(join(e['XDG_CONFIG_HOME']!, 'agentor'), { recursive: true });
    writeFileSync(join(e['XDG_CONFIG_HOME']!, 'agentor', 'config.json'), '{"model": "from-config"}');
    const r = await runCli(['chat', '--json', '--base-url', fake.url, ...args, 'hi'], { env: e, cwd });
    expect(r.code, r.stderr).toBe(0);
    return runStart(r.stdout);
  }

  it("model: -m beats the agent file's model:, which beats AGENTOR_MODEL", async () => {
    expect(await modelOf(['--agent', 'b', '-m', 'from-flag'], { AGENTOR_MODEL: 'from-env' })).toBe('from-flag');
    expect(await modelOf(['--agent', 'b'], { AGENTOR_MODEL: 'from-env' })).toBe('from-file');
    expect(await modelOf(['--agent', 'a'], { AGENTOR_MODEL: 'from-env' })).toBe('demo');
  });

  it("model: AGENTOR_MODEL beats the config file's model", async () => {
    expect(await modelOf([], { AGENTOR_MODEL: 'from-env' })).toBe('from-env');
    expect(await modelOf([])).toBe('from-config');
  });

  it('--timeout: a bare number is seconds', async () => {
    const hanging = await startFakeOpenAI({ fallback: { fault: 'hang', text: ['partial'] } });
    cleanup(() => hanging.close());
    const r = await runCli(['chat', '--json', '--base-url', hanging.url, '--timeout', '0.3', 'hi'], {
      env: cleanEnv({ OPENAI_API_KEY: 'k' }),
    });
    expect(r.code).toBe(124);
    const end = ndjson(r.stdout).at(-1) as { type: string; status: string; duration_ms: number };
    expect(end).toMatchObject({ type: 'run_end', status: 'timeout' });
    expect(end.duration_ms).toBeGreaterThanOrEqual(300);
  });

  it('an unknown front-matter field is rejected, naming it and the known ones', async () => {
    const cwd = tempDir('agentor-docs-typo-');
    writeFileSync(join(cwd, 'typo.md'), '---\nname: typo\nmax_turn: 3\n---\nBe brief.\n');
    const r = await runCli(['chat', '--demo', '--agent', './typo.md', 'hi'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('max_turn');
    expect(r.stderr).toContain('max_turns');
    expect(README).toContain('such as `max_turn:` fails with exit 2');
  });
});
