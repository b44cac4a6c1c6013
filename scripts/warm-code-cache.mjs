// Makes this Node version's code caches of dist/bundle/cli.cjs and help.cjs: runs the built CLI's hot paths (a `chat`
// with a tool call, `--json` and plain, and `--help`) against a loopback fake of the Chat Completions stream. Each run
// starts from the previous run's cache and writes it back with what it compiled (AGENTOR_WRITE_CODE_CACHE, read by
// bin/agentor.js).
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One SSE frame of a chat.completion.chunk with `choices`. */
function frame(choices, extra = {}) {
  return `data: ${JSON.stringify({ id: 'warm', object: 'chat.completion.chunk', created: 0, model: 'warm', choices, ...extra })}\n\n`;
}
const chunk = (delta, finishReason = null) => frame([{ index: 0, delta, finish_reason: finishReason }]);

/** First request: one calculator call; once the tool result is in the messages: a short text answer. */
function reply(body) {
  const answered = body.messages.some((m) => m.role === 'tool');
  const parts = answered
    ? [chunk({ role: 'assistant', content: '' }), chunk({ content: 'The answer is ' }), chunk({ content: '**4**.' })]
    : [
        chunk({
          role: 'assistant',
          tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'calculator', arguments: '' } }],
        }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '{"expression":"2+2"}' } }] }),
      ];
  const usage = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 };
  return [...parts, chunk({}, answered ? 'stop' : 'tool_calls'), frame([], { usage }), 'data: [DONE]\n\n'].join('');
}

/** Which Node versions can share a code cache: V8 rejects one made by another V8 (bin/agentor.js names files by it). */
export const cacheKey = () => `${process.versions.v8}-${process.arch}`;

export async function warmCodeCache(root) {
  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8').on('data', (d) => (raw += d));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(reply(JSON.parse(raw)));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const home = mkdtempSync(join(tmpdir(), 'agentor-warm-'));
  try {
    const url = `http://127.0.0.1:${server.address().port}/v1`;
    const env = {
      PATH: process.env.PATH,
      HOME: home,
      XDG_CONFIG_HOME: join(home, 'c'),
      XDG_STATE_HOME: join(home, 's'),
      XDG_CACHE_HOME: join(home, 'cache'),
      OPENAI_API_KEY: 'warm',
      AGENTOR_WRITE_CODE_CACHE: '1',
    };
    const bin = join(root, 'bin/agentor.js');
    for (const args of [
      ['chat', '--no-stdin', '--json', '--base-url', url, 'warm up'],
      ['chat', '--no-stdin', '--plain', '--base-url', url, 'warm up'],
      ['--help'],
      ['chat', '--help'],
    ]) {
      await run(process.execPath, [bin, ...args], { env, cwd: home, timeout: 30_000 });
    }
  } finally {
    server.close();
    rmSync(home, { recursive: true, force: true });
  }
}
