/**
 * CPU time of a 20,000-token answer rendered by the Ink UI in a real pty vs the same answer in plain mode (stdout to a
 * pipe). The CLI runs under `bash -c '…; times'`, so the child's user+sys CPU is reported by the shell itself.
 *
 *   npm run build && node --import tsx bench/ui-pty.ts [tokens]
 *
 * UI_BENCH_NODE_FLAGS adds node flags to the CLI process, e.g. to profile it:
 *   UI_BENCH_NODE_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/up' node --import tsx bench/ui-pty.ts
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { startFakeOpenAI } from '../test/support/fake-openai.js';
import { startPty } from '../test/pty/terminal.js';
import { benchTempDir } from './lib.js';

// UI_BENCH_BIN runs another build of the CLI (e.g. a copy of the previous build, for A/B comparisons).
const BIN = process.env.UI_BENCH_BIN || resolve(import.meta.dirname, '../bin/agentor.js');
const TIMES = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/;

/** A long markdown answer split into `n` streamed tokens (paragraphs, lists and code, like a real one). */
export function longAnswer(n: number): string[] {
  const words = [
    'streaming',
    'tokens',
    'render',
    '**bold**',
    'terminal',
    '`code`',
    'markdown',
    'agent',
    'tool',
    'frame',
  ];
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    let t = `${words[i % words.length]} `;
    if (i % 120 === 119) t += '\n\n';
    if (i % 600 === 599) t += '- item one\n- item two\n\n```ts\nconst x = 1;\n```\n\n';
    out.push(t);
  }
  return out;
}

function childCpu(output: string, stderr = ''): number {
  const m = TIMES.exec(output.replace(/\r/g, '').trimEnd());
  if (!m)
    throw new Error(`no \`times\` output in: ${output.slice(-300)}${stderr && `\nstderr: ${stderr.slice(-300)}`}`);
  return (Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000;
}

/** CPU ms (user+sys) of the CLI rendering an answer of `tokens` tokens, in a pty (Ink) or piped (plain). */
export async function measureAnswerCpu(tokens = 20_000): Promise<{ pty: number; plain: number; ratio: number }> {
  const fake = await startFakeOpenAI({ tokenDelayMs: 0 });
  const home = benchTempDir('agentor-bench-ui-');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    XDG_CONFIG_HOME: join(home, 'c'),
    XDG_STATE_HOME: join(home, 's'),
    OPENAI_API_KEY: 'test',
    TERM: 'xterm-256color',
  };
  for (const k of ['OPENAI_BASE_URL', 'AGENTOR_MODEL', 'NO_COLOR']) delete env[k];
  const flags = process.env.UI_BENCH_NODE_FLAGS ?? '';
  const script = `node ${flags} "${BIN}" chat --base-url "${fake.url}" "$@" 'write a long answer'; times`;
  try {
    fake.enqueue({ text: longAnswer(tokens) });
    const t = startPty(['-c', script, 'bash'], { env, cols: 120, rows: 40, command: ['bash'] });
    await t.exit;
    const pty = childCpu(t.text());

    fake.enqueue({ text: longAnswer(tokens) });
    // stderr is kept for an error message: a finished run writes its `session:` line there, not bench output.
    const plainOut = await new Promise<{ out: string; err: string }>((res, rej) => {
      const child = spawn('bash', ['-c', script, 'bash', '--plain'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      child.on('error', rej);
      child.on('close', () => res({ out, err }));
    });
    const plain = childCpu(plainOut.out, plainOut.err);
    return { pty, plain, ratio: pty / plain };
  } finally {
    await fake.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const tokens = Number(process.argv[2] ?? 20_000);
  const r = await measureAnswerCpu(tokens);
  process.stdout.write(
    `${tokens}-token answer CPU: Ink in a pty ${r.pty.toFixed(0)} ms · plain ${r.plain.toFixed(0)} ms · ratio ${r.ratio.toFixed(2)}x\n`,
  );
  process.exit(0);
}
