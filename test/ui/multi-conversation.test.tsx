import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { Agent } from '../../src/core/agent.js';
import type { ModelRequest } from '../../src/core/providers/types.js';
import { InputHistory } from '../../src/ui/history-store.js';
import { MultiApp } from '../../src/ui/MultiApp.js';
import { deferred, gated, hang, promptText, ScriptedProvider, text, type Turn } from './helpers.js';
import { tempDir } from '../support/cleanup.js';

/** The user's and assistant's messages of a request (no system prompt). */
const dialogue = (req: ModelRequest | undefined): Array<[string, string]> =>
  (req?.messages ?? [])
    .filter((m) => m.role === 'user' || m.role === 'assistant')
    .map((m) => [m.role, String(m.content)]);

const PROMPT_BACK = 'ctrl+c twice to exit';

function setup(turns: Record<string, Turn[]>, opts: { prompt?: string } = {}) {
  const dir = tempDir('agentor-multi-chat-');
  const providers = Object.fromEntries(Object.entries(turns).map(([name, list]) => [name, new ScriptedProvider(list)]));
  const agents = Object.entries(providers).map(
    ([name, provider]) =>
      new Agent({ name, model: `${name}-model`, provider, tools: [], instructions: `You are ${name}.` }),
  );
  const history = new InputHistory(join(dir, 'history.jsonl'));
  let code: number | undefined;
  const ui = render(
    <MultiApp
      agents={agents}
      conversation
      history={history}
      color={false}
      prompt={opts.prompt}
      onExit={(_, c) => (code = c)}
    />,
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
  return {
    ui,
    dir,
    history,
    providers,
    alpha: providers['alpha']!,
    beta: providers['beta']!,
    frame,
    frames,
    type,
    send,
    code: () => code,
  };
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
      ['user', 'first question'],
      ['assistant', 'Alpha one.'],
      ['user', 'second question'],
    ]);
    expect(dialogue(t.beta.requests[1])).toEqual([
      ['user', 'first question'],
      ['assistant', 'Beta one\x1b]0;pwned\x07.'],
      ['user', 'second question'],
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
    expect(dialogue(t.alpha.requests[1])).toEqual([
      ['user', 'just you'],
      ['assistant', 'Alpha alone.'],
      ['user', 'both of you'],
    ]);
    // beta never saw the message addressed to alpha alone.
    expect(dialogue(t.beta.requests[0])).toEqual([['user', 'both of you']]);
  });

  it('cancels every running agent with one Esc: both aborted, partial answers kept and marked, prompt back, conversation goes on', async () => {
    const t = setup({
      alpha: [hang('Alpha partial'), text('Alpha after.')],
      beta: [hang('Beta partial'), text('Beta after.')],
    });
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
    expect(dialogue(t.beta.requests[1])).toEqual([
      ['user', 'long story'],
      ['assistant', 'Beta partial'],
      ['user', 'go on'],
    ]);
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
    const t = setup(
      { alpha: [text('First from alpha.')], beta: [text('First from beta.')] },
      { prompt: '@beta hello' },
    );
    await expect.poll(t.frames).toMatch(/│ beta · beta-model +✓ completed/);
    expect(t.frames()).toContain('First from beta.');
    expect(t.alpha.requests).toHaveLength(0);
  });

  it('lists the agents in /help and /agents; /clear forgets every agent’s conversation; /save writes the transcript with agent names', async () => {
    const t = setup({
      alpha: [text('Alpha says 1.'), text('Alpha fresh.')],
      beta: [text('Beta says 1.'), text('Beta fresh.')],
    });
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

describe('MultiApp conversation: typing ahead while agents run', () => {
  it('keeps the prompt editable, queues on Enter, and sends the queue after the round completes, addressed when sent', async () => {
    const gate = deferred();
    const t = setup({
      alpha: [gated('Alpha starts', gate.promise, ' and ends.'), text('Alpha on two.'), text('Alpha on three.')],
      beta: [gated('Beta starts', gate.promise, ' and ends.'), text('Beta on two.')],
    });
    await expect.poll(t.frame).toContain(PROMPT_BACK);
    await t.send('one');
    await expect.poll(t.frame).toContain('Alpha starts');
    await expect.poll(t.frame).toContain('Beta starts');
    // Editing works while both agents run: type, ←, insert, backspace, Ctrl+E.
    await t.type('tw');
    await t.type('\x1b[D');
    await t.type('x');
    await t.type('\x7f');
    await t.type('\x05');
    await t.type('o');
    await expect.poll(() => promptText(t.frame())).toBe('two');
    expect(t.frame()).toContain('enter queues a message, sent when every agent is done');
    expect(t.frame()).not.toContain(PROMPT_BACK);
    await t.type('\r');
    await expect.poll(t.frame).toContain('queued: two');
    expect(promptText(t.frame())).toBe('');
    await t.send('/agents');
    await t.send('@gamma nobody');
    await t.send('@alpha three');
    await expect.poll(t.frame).toContain('… and 1 more queued');
    expect(t.frame()).toContain('queued: /agents');
    expect(t.frame()).toContain('queued: @gamma nobody');
    // Both agents still run; nothing more was sent.
    expect(t.frame()).toContain('0/2 agents done');
    expect([t.alpha.requests.length, t.beta.requests.length]).toEqual([1, 1]);

    gate.open();
    await expect.poll(t.frames).toContain('Alpha on three.');
    await expect.poll(t.frame).toContain(PROMPT_BACK);
    // "two" went to both agents once the first round completed, each with its own history.
    expect(dialogue(t.alpha.requests[1])).toEqual([
      ['user', 'one'],
      ['assistant', 'Alpha starts and ends.'],
      ['user', 'two'],
    ]);
    expect(dialogue(t.beta.requests[1])).toEqual([
      ['user', 'one'],
      ['assistant', 'Beta starts and ends.'],
      ['user', 'two'],
    ]);
    // "@gamma" was answered inline when its turn came, and the queue went on: "@alpha three" to alpha alone.
    expect(t.frame()).toContain('no agent named @gamma');
    expect(dialogue(t.alpha.requests[2]).at(-1)).toEqual(['user', 'three']);
    expect(t.beta.requests).toHaveLength(2);
    // The transcript keeps the order: each answer, then the message sent after it.
    const frame = t.frame();
    expect(frame.indexOf('Alpha starts and ends.')).toBeLessThan(frame.indexOf('\n❯ two'));
    // The queued slash command ran in its turn: after the second round, before the messages queued behind it.
    expect(frame.indexOf('Beta on two.')).toBeLessThan(frame.indexOf('Agents (2):'));
    expect(frame.indexOf('Agents (2):')).toBeLessThan(frame.indexOf('no agent named @gamma'));
    expect(frame.indexOf('no agent named @gamma')).toBeLessThan(frame.indexOf('\n❯ @alpha three'));
    expect(frame).not.toContain('queued:');
    expect(t.history.entries).toEqual(['one', 'two', '/agents', '@gamma nobody', '@alpha three']);
  });

  it('Esc cancels every agent and puts the queue (and the draft) back into the prompt, unsent; Ctrl+D never exits meanwhile', async () => {
    const t = setup({
      alpha: [hang('Alpha partial'), text('Alpha after.')],
      beta: [hang('Beta partial'), text('Beta after.')],
    });
    await expect.poll(t.frame).toContain(PROMPT_BACK);
    await t.send('long story');
    await expect.poll(t.frame).toContain('Alpha partial');
    await expect.poll(t.frame).toContain('Beta partial');
    await t.send('follow up');
    await t.send('@beta and you');
    await expect.poll(t.frame).toContain('queued: @beta and you');
    await t.type('\x04');
    await t.type('draft');
    await t.type('\x1b');
    await expect.poll(t.frames).toContain('2 agents: 2 cancelled');
    expect([t.alpha.aborts, t.beta.aborts]).toEqual([1, 1]);
    await expect.poll(() => promptText(t.frame())).toBe('follow up\n@beta and you\ndraft');
    expect(t.frame()).toContain('2 queued messages are back in the prompt (the agents were cancelled)');
    expect(t.frame()).not.toContain('queued:');
    // Another key is handled (so any effect that would send the queue has run): nothing else was sent.
    await t.type('!');
    await expect.poll(() => promptText(t.frame())).toBe('follow up\n@beta and you\ndraft!');
    expect([t.alpha.requests.length, t.beta.requests.length]).toEqual([1, 1]);
    expect(t.code()).toBeUndefined();
    // Enter sends the restored text as one message, to both agents (it does not start with @).
    await t.type('\r');
    await expect.poll(t.frames).toContain('2 agents: 2 completed');
    expect(dialogue(t.alpha.requests[1]).at(-1)).toEqual(['user', 'follow up\n@beta and you\ndraft!']);
    expect(dialogue(t.beta.requests[1]).at(-1)).toEqual(['user', 'follow up\n@beta and you\ndraft!']);
  });

  it('a round where an agent failed puts the queue back into the prompt, naming the agent, instead of sending it', async () => {
    const gate = deferred();
    const failing: Turn = async function* () {
      yield { type: 'text', text: 'Beta starts' };
      await gate.promise;
      throw new Error('upstream broke');
    };
    const t = setup({ alpha: [gated('Alpha starts', gate.promise, ' fine.')], beta: [failing] });
    await expect.poll(t.frame).toContain(PROMPT_BACK);
    await t.send('go');
    await expect.poll(t.frame).toContain('Alpha starts');
    await expect.poll(t.frame).toContain('Beta starts');
    await t.send('next please');
    await expect.poll(t.frame).toContain('queued: next please');
    gate.open();
    await expect.poll(t.frames).toMatch(/2 agents: (1 completed, 1 failed|1 failed, 1 completed)/);
    await expect.poll(() => promptText(t.frame())).toBe('next please');
    expect(t.frame()).toContain('the queued message is back in the prompt (not every agent completed: beta failed)');
    expect(t.frame()).not.toContain('queued:');
    expect([t.alpha.requests.length, t.beta.requests.length]).toEqual([1, 1]);
  });
});
