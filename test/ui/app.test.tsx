import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../src/core/agent.js';
import type { ModelChunk, ModelProvider, ModelRequest } from '../../src/core/providers/types.js';
import { calculator } from '../../src/core/tools/calculator.js';
import type { Tool } from '../../src/core/tools/tool.js';
import { App } from '../../src/ui/App.js';
import { InputHistory } from '../../src/ui/history-store.js';

type Turn = (req: ModelRequest) => AsyncGenerator<ModelChunk>;

/** A provider that plays scripted turns and records what it was asked. */
class ScriptedProvider implements ModelProvider {
  readonly id = 'scripted';
  readonly requests: ModelRequest[] = [];
  aborted = false;
  constructor(private readonly turns: Turn[]) {}
  async *stream(req: ModelRequest): AsyncGenerator<ModelChunk> {
    this.requests.push(req);
    const turn = this.turns.shift();
    if (!turn) throw new Error('no scripted turn left');
    req.signal.addEventListener('abort', () => (this.aborted = true), { once: true });
    yield* turn(req);
  }
}

const text = (...chunks: string[]): Turn =>
  async function* () {
    for (const t of chunks) yield { type: 'text', text: t };
    yield { type: 'usage', usage: { input_tokens: 5, output_tokens: chunks.length, total_tokens: 5 + chunks.length } };
  };
/** Streams `first`, then waits until the request is aborted. */
const hang = (first: string): Turn =>
  async function* (req) {
    yield { type: 'text', text: first };
    await new Promise((_, reject) => req.signal.addEventListener('abort', () => reject(req.signal.reason), { once: true }));
  };

const dirs: string[] = [];
afterEach(() => dirs.splice(0));
function setup(turns: Turn[], opts: { once?: boolean; firstPrompt?: string } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'agentor-ui-'));
  dirs.push(dir);
  const provider = new ScriptedProvider(turns);
  const agent = new Agent({ name: 'tester', model: 'scripted-1', provider, tools: [calculator as unknown as Tool] });
  const history = new InputHistory(join(dir, 'history.jsonl'));
  let exitCode: number | undefined;
  const ui = render(
    <App agent={agent} history={history} color={false} onExit={(c) => (exitCode = c)} once={opts.once} firstPrompt={opts.firstPrompt} />,
  );
  const frame = (): string => ui.lastFrame() ?? '';
  const type = async (s: string): Promise<void> => {
    ui.stdin.write(s);
    await new Promise((r) => setImmediate(r));
  };
  return { ui, provider, frame, type, dir, history, exitCode: () => exitCode };
}

describe('App (interactive chat)', () => {
  it('sends a prompt, streams the answer into history, and carries the conversation to the next turn', async () => {
    const t = setup([text('Hello ', 'there.'), text('Second answer.')]);
    await expect.poll(t.frame).toContain('❯ ');
    await t.type('hi');
    await t.type('\r');
    await expect.poll(t.frame).toContain('Hello there.');
    await expect.poll(t.frame).toMatch(/✓ .* · 2 tokens/);
    await t.type('again');
    await t.type('\r');
    await expect.poll(t.frame).toContain('Second answer.');
    const second = t.provider.requests[1]!.messages.map((m) => [m.role, m.content]);
    expect(second.slice(-3)).toEqual([['user', 'hi'], ['assistant', 'Hello there.'], ['user', 'again']]);
  });

  it('cancels a running answer with Ctrl+C: upstream aborted, partial answer kept and marked, prompt back', async () => {
    const t = setup([hang('Partial words')]);
    await t.type('tell me');
    await t.type('\r');
    await expect.poll(t.frame).toContain('esc or ctrl+c to cancel');
    await expect.poll(t.frame).toContain('Partial words');
    await t.type('\x03');
    await expect.poll(t.frame).toContain('⏹ cancelled');
    expect(t.provider.aborted).toBe(true);
    expect(t.frame()).toContain('Partial words');
    await expect.poll(t.frame).toContain('/help for commands');
    expect(t.exitCode()).toBeUndefined();
  });

  it('keeps the progress line ticking while tokens stall', async () => {
    const t = setup([hang('Stalled here')]);
    await t.type('q');
    await t.type('\r');
    await expect.poll(t.frame).toContain('Stalled here');
    const elapsed = (): number => Number(/(\d+)ms · \d+ tokens|(\d+\.\d)s · \d+ tokens/.exec(t.frame())?.slice(1).map((x) => x && (x.includes('.') ? Number(x) * 1000 : Number(x))).find((x) => x !== undefined) ?? -1);
    const first = elapsed();
    await expect.poll(elapsed).toBeGreaterThan(first + 150);
    await t.type('\x03');
    await expect.poll(t.frame).toContain('⏹ cancelled');
  });

  it('cancels with Esc too', async () => {
    const t = setup([hang('Some')]);
    await t.type('q');
    await t.type('\r');
    await expect.poll(t.frame).toContain('Some');
    await t.type('\x1b');
    await expect.poll(t.frame).toContain('⏹ cancelled');
  });

  it('idle Ctrl+C clears typed text, then asks for a second press, which exits 0', async () => {
    const t = setup([]);
    await t.type('draft text');
    await expect.poll(t.frame).toContain('draft text');
    await t.type('\x03');
    await expect.poll(t.frame).not.toContain('draft text');
    expect(t.exitCode()).toBeUndefined();
    await t.type('\x03');
    await expect.poll(t.frame).toContain('press Ctrl+C again to exit');
    expect(t.exitCode()).toBeUndefined();
    await t.type('\x03');
    await expect.poll(t.exitCode).toBe(0);
  });

  it('Ctrl+D on an empty prompt exits', async () => {
    const t = setup([]);
    await t.type('\x04');
    await expect.poll(t.exitCode).toBe(0);
  });

  it('handles slash commands: /help, /tools, /model, /save, unknown ones', async () => {
    const t = setup([text('On the new model.')]);
    for (const cmd of ['/help', '/tools', '/nope', '/model other-model']) {
      await t.type(cmd);
      await t.type('\r');
    }
    await expect.poll(t.frame).toContain('model: other-model');
    const frame = t.frame();
    expect(frame).toContain('/save [file.md]');
    expect(frame).toContain('calculator —');
    expect(frame).toContain('unknown command /nope');
    await t.type('go');
    await t.type('\r');
    await expect.poll(t.frame).toContain('On the new model.');
    expect(t.provider.requests[0]!.model).toBe('other-model');
    const file = join(t.dir, 'chat.md');
    await t.type(`/save ${file}`);
    await t.type('\r');
    await expect.poll(t.frame).toContain(`saved the transcript to ${file}`);
    expect(readFileSync(file, 'utf8')).toContain('## You\n\ngo\n\n## tester\n\nOn the new model.');
  });

  it('persists prompt history and recalls it with ↑', async () => {
    const t = setup([text('ok')]);
    await t.type('remember me');
    await t.type('\r');
    await expect.poll(t.frame).toContain('ok');
    expect(new InputHistory(t.history.path).entries).toEqual(['remember me']);
    // Prompts can be private: the history file is readable by its owner only.
    expect(statSync(t.history.path!).mode & 0o777).toBe(0o600);
    await t.type('\x1b[A');
    await expect.poll(t.frame).toMatch(/❯ remember me/);
  });

  it('in once mode runs the prompt and exits with the run exit code', async () => {
    const failing: Turn = async function* () {
      yield { type: 'text', text: 'x' };
      throw new Error('upstream broke');
    };
    const t = setup([failing], { once: true, firstPrompt: 'do it' });
    await expect.poll(t.exitCode).toBe(1);
    // The failure marker is printed through <Static>, which may not be part of the very last write: check every frame.
    const written = t.ui.frames.join('');
    expect(written).toContain('✗ failed');
    expect(written).not.toContain('/help for commands');
  });
});
