import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { Agent } from '../../src/core/agent.js';
import type { ModelChunk, ModelProvider, ModelRequest } from '../../src/core/providers/types.js';
import { InputHistory } from '../../src/ui/history-store.js';
import { MultiApp } from '../../src/ui/MultiApp.js';

type Turn = (req: ModelRequest) => AsyncGenerator<ModelChunk>;

/** A provider that plays one scripted turn per request and records what it was asked and whether it was aborted. */
class ScriptedProvider implements ModelProvider {
  readonly id = 'scripted';
  readonly requests: ModelRequest[] = [];
  aborts = 0;
  constructor(private readonly turns: Turn[]) {}
  async *stream(req: ModelRequest): AsyncGenerator<ModelChunk> {
    this.requests.push(req);
    const turn = this.turns.shift();
    if (!turn) throw new Error('no scripted turn left');
    req.signal.addEventListener('abort', () => this.aborts++, { once: true });
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

/** The user's and assistant's messages of a request (no system prompt). */
const dialogue = (req: ModelRequest | undefined): Array<[string, string]> =>
  (req?.messages ?? []).filter((m) => m.role === 'user' || m.role === 'assistant').map((m) => [m.role, String(m.content)]);

const PROMPT_BACK = 'ctrl+c twice to exit';

function setup(turns: Record<string, Turn[]>, opts: { prompt?: string } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'agentor-multi-chat-'));
  const providers = Object.fromEntries(Object.entries(turns).map(([name, list]) => [name, new ScriptedProvider(list)]));
  const agents = Object.entries(providers).map(
    ([name, provider]) => new Agent({ name, model: `${name}-model`, provider, tools: [], instructions: `You are ${name}.` }),
  );
  const history = new InputHistory(join(dir, 'history.jsonl'));
  let code: number | undefined;
  const ui = render(
    <MultiApp agents={agents} conversation history={history} color={false} prompt={opts.prompt} onExit={(_, c) => (code = c)} />,
  );
  const frame = (): string => ui.lastFrame() ?? '';
  // <Static> output is written once: what was ever on screen is in the frames.
  const frames = (): string => ui.frames.join('\n');
  const type = async (s: string): Promise<void> => {
    ui.stdin.write(s);
    await new Promise((r) => setImmediate(r));
  };
  const send = async (message: string): Promise<void> => {
    await type(message);
    await type('\r');
  };
  return { ui, dir, history, providers, alpha: providers['alpha']!, beta: providers['beta']!, frame, frames, type, send, code: () => code };
}

describe('MultiApp conversation', () => {
  it('sends each message to both agents, keeps each agent’s own history across turns, and brings the prompt back', async () => {
    const t = setup({
      alpha: [text('Alpha one.'), text('Alpha two.')],
      beta: [text('Beta one\x1b]0;pwned\x07.'), text('Beta two.')],
    });
    await expect.poll(t.frame).toContain(PROMPT_BACK);
    expect(t.frame()).toContain('agentor · 2 agents · alpha, beta · @name to address one');
    await t.send('first question');
    await expect.poll(t.frames).toContain('2 agents: 2 completed');
    await expect.poll(t.frame).toContain(PROMPT_BACK);
    expect(t.frames()).toMatch(/│ alpha · alpha-model +✓ completed/);
    expect(t.frames()).toMatch(/│ beta · beta-model +✓ completed/);
    expect(t.frames()).toContain('Beta one.');
    expect(t.frames()).not.toContain('\x1b]0;');
    expect(t.frames()).not.toContain('pwned');

    await t.send('second question');
    await expect.poll(t.frames).toContain('Alpha two.');
    await expect.poll(t.frames).toContain('Beta two.');
    await expect.poll(t.frame).toContain(PROMPT_BACK);
    // Each agent's second request carries its own first answer, never the other agent's.
    expect(dialogue(t.alpha.requests[1])).toEqual([
      ['user', 'first question'], ['assistant', 'Alpha one.'], ['user', 'second question'],
    ]);
    expect(dialogue(t.beta.requests[1])).toEqual([
      ['user', 'first question'], ['assistant', 'Beta one\x1b]0;pwned\x07.'], ['user', 'second question'],
    ]);
    expect(t.alpha.requests[1]!.messages[0]).toMatchObject({ role: 'system', content: 'You are alpha.' });
    expect(t.history.entries).toEqual(['first question', 'second question']);
    expect(t.code()).toBeUndefined();
  });

  it('sends a message starting with @name to that agent only, @a @b to several, and rejects unknown names inline', async () => {
    const t = setup({ alpha: [text('Alpha alone.'), text('Alpha again.')], beta: [text('Beta again.')] });
    await expect.poll(t.frame).toContain(PROMPT_BACK);
    await t.send('@alpha just you');
    await expect.poll(t.frames).toMatch(/│ alpha · alpha-model +✓ completed/);
    await expect.poll(t.frame).toContain(PROMPT_BACK);
    expect(t.frames()).toContain('❯ @alpha just you');
    expect(dialogue(t.alpha.requests[0])).toEqual([['user', 'just you']]);
    expect(t.beta.requests).toHaveLength(0);
    // One agent's answer needs no round summary.
    expect(t.frames()).not.toContain('1 agent: ');

    await t.send('@gamma hello');
    await expect.poll(t.frame).toContain('no agent named @gamma — the agents are @alpha, @beta');
    await t.send('@beta');
    await expect.poll(t.frame).toContain('nothing to send to @beta');
    expect(t.alpha.requests).toHaveLength(1);
    expect(t.beta.requests).toHaveLength(0);

    await t.send('@Alpha @beta both of you');
    await expect.poll(t.frames).toContain('2 agents: 2 completed');
    expect(dialogue(t.alpha.requests[1])).toEqual([['user', 'just you'], ['assistant', 'Alpha alone.'], ['user', 'both of you']]);
    // beta never saw the message addressed to alpha alone.
    expect(dialogue(t.beta.requests[0])).toEqual([['user', 'both of you']]);
  });

  it('cancels every running agent with one Esc: both aborted, partial answers kept and marked, prompt back, conversation goes on', async () => {
    const t = setup({ alpha: [hang('Alpha partial'), text('Alpha after.')], beta: [hang('Beta partial'), text('Beta after.')] });
    await expect.poll(t.frame).toContain(PROMPT_BACK);
    await t.send('long story');
    await expect.poll(t.frame).toContain('Alpha partial');
    await expect.poll(t.frame).toContain('Beta partial');
    expect(t.frame()).toContain('esc or ctrl+c to cancel');
    expect(t.frame()).not.toContain(PROMPT_BACK);
    await t.type('\x1b');
    await expect.poll(t.frames).toContain('2 agents: 2 cancelled');
    await expect.poll(t.frame).toContain(PROMPT_BACK);
    expect(t.alpha.aborts).toBe(1);
    expect(t.beta.aborts).toBe(1);
    expect(t.frames().match(/⏹ cancelled/g)?.length).toBeGreaterThanOrEqual(2);
    expect(t.code()).toBeUndefined();

    await t.send('go on');
    await expect.poll(t.frames).toContain('2 agents: 2 completed');
    // Each agent's history keeps the partial answer the user saw.
    expect(dialogue(t.beta.requests[1])).toEqual([['user', 'long story'], ['assistant', 'Beta partial'], ['user', 'go on']]);
  });

  it('cancels with Ctrl+C too, which never exits while agents run', async () => {
    const t = setup({ alpha: [hang('A')], beta: [hang('B')] });
    await expect.poll(t.frame).toContain(PROMPT_BACK);
    await t.send('q');
    await expect.poll(t.frame).toContain('0/2 agents done');
    await t.type('\x03');
    await expect.poll(t.frames).toContain('2 agents: 2 cancelled');
    expect([t.alpha.aborts, t.beta.aborts]).toEqual([1, 1]);
    await expect.poll(t.frame).toContain(PROMPT_BACK);
    expect(t.code()).toBeUndefined();
  });

  it('starts with the first message given on the command line (-i)', async () => {
    const t = setup({ alpha: [text('First from alpha.')], beta: [text('First from beta.')] }, { prompt: '@beta hello' });
    await expect.poll(t.frames).toMatch(/│ beta · beta-model +✓ completed/);
    expect(t.frames()).toContain('First from beta.');
    expect(t.alpha.requests).toHaveLength(0);
  });

  it('lists the agents in /help and /agents; /clear forgets every agent’s conversation; /save writes the transcript with agent names', async () => {
    const t = setup({ alpha: [text('Alpha says 1.'), text('Alpha fresh.')], beta: [text('Beta says 1.'), text('Beta fresh.')] });
    await expect.poll(t.frame).toContain(PROMPT_BACK);
    await t.send('/help');
    await expect.poll(t.frame).toContain('/agents          list the agents and how to address them');
    expect(t.frame()).toMatch(/@alpha +model alpha-model · 0 tools/);
    await t.send('/agents');
    await expect.poll(t.frame).toContain('Agents (2):');
    await t.send('/nope');
    await expect.poll(t.frame).toContain('unknown command /nope');

    await t.send('one');
    await expect.poll(t.frames).toContain('2 agents: 2 completed');
    await expect.poll(t.frame).toContain(PROMPT_BACK);
    const file = join(t.dir, 'multi.md');
    await t.send(`/save ${file}`);
    await expect.poll(t.frame).toContain(`saved the transcript to ${file}`);
    const saved = readFileSync(file, 'utf8');
    expect(saved).toContain('# agentor chat — alpha (alpha-model), beta (beta-model)');
    expect(saved).toMatch(/## You\n\none\n\n## (alpha|beta)\n\n/);
    expect(saved).toContain('## alpha\n\nAlpha says 1.');
    expect(saved).toContain('## beta\n\nBeta says 1.');
    expect(saved).not.toContain('/help');

    await t.send('/clear');
    await t.send('two');
    await expect.poll(t.frames).toContain('Alpha fresh.');
    await expect.poll(t.frames).toContain('Beta fresh.');
    expect(dialogue(t.alpha.requests[1])).toEqual([['user', 'two']]);
    expect(dialogue(t.beta.requests[1])).toEqual([['user', 'two']]);
  });

  it('keeps the exit keys: Ctrl+C twice on an empty prompt exits 0, Ctrl+D too', async () => {
    const t = setup({ alpha: [], beta: [] });
    await t.type('draft');
    await expect.poll(t.frame).toContain('draft');
    await t.type('\x03');
    await expect.poll(t.frame).not.toContain('draft');
    await t.type('\x03');
    await expect.poll(t.frame).toContain('press Ctrl+C again to exit');
    expect(t.code()).toBeUndefined();
    await t.type('\x03');
    await expect.poll(t.code).toBe(0);

    const d = setup({ alpha: [], beta: [] });
    await d.type('\x04');
    await expect.poll(d.code).toBe(0);
  });
});
