/**
 * `agentor chat --agent alpha --agent beta "…"` in a real terminal (node-pty + headless xterm): one panel per agent
 * through Ink, both answers, exit code 0; Ctrl+C cancelling both runs against the loopback fake (both upstream
 * requests closed, exit 130); and a conversation with both agents (`agentor chat --agent alpha --agent beta`):
 * two turns to both, each agent with its own history, `@beta` addressing one, a cancelled round, then the exit keys.
 * Synchronised on screen content and server events, never on sleeps.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI, type RecordedRequest } from '../support/fake-openai.js';
import { cleanEnv } from '../support/cli.js';
import { startPty, type PtyTerminal } from './terminal.js';
import { tempDir } from '../support/cleanup.js';

let fake: FakeOpenAI;
let cwd: string;
const running: PtyTerminal[] = [];
beforeAll(async () => {
  cwd = tempDir('agentor-pty-multi-');
  mkdirSync(join(cwd, 'demo'));
  writeFileSync(join(cwd, 'demo', 'alpha.md'), '---\nname: alpha\nmodel: demo\n---\nYou are alpha.\n');
  writeFileSync(join(cwd, 'demo', 'beta.md'), '---\nname: beta\nmodel: demo\ntools: [get_time]\n---\nYou are beta.\n');
  mkdirSync(join(cwd, 'remote'));
  writeFileSync(join(cwd, 'remote', 'alpha.md'), '---\nname: alpha\n---\nYou are alpha.\n');
  writeFileSync(join(cwd, 'remote', 'beta.md'), '---\nname: beta\n---\nYou are beta.\n');
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  for (const t of running) t.kill();
  await fake?.close();
});

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return cleanEnv({ TERM: 'xterm-256color', ...extra });
}

function start(args: string[], extra: Record<string, string> = {}): PtyTerminal {
  const t = startPty(['chat', ...args], { env: env(extra), cols: 100, rows: 30, cwd });
  running.push(t);
  return t;
}

describe('multi-agent chat in a real terminal', () => {
  it('renders one titled panel per agent with both answers and exits 0', async () => {
    const t = start(['--agent', 'demo/alpha.md', '--agent', 'demo/beta.md', 'what is 6*7']);
    await t.waitFor('2 agents: 2 completed');
    expect((await t.exit).exitCode).toBe(0);
    const text = t.text();
    expect(text).toContain('agentor · 2 agents · alpha, beta');
    expect(text).toMatch(/✓ alpha completed · [\d.]+m?s · \d+ tokens · 1 tool\n/);
    expect(text).toMatch(/✓ beta completed · [\d.]+m?s · \d+ tokens\n/);
    // alpha used the calculator in its own answer; beta (get_time only) could not.
    const alpha = text.slice(text.indexOf('── alpha · demo'), text.indexOf('── beta · demo'));
    expect(alpha).toMatch(/│ ⚙ calculator ✓ \d+ms/);
    expect(alpha).toContain('6*7 = 42');
    expect(text.slice(text.indexOf('── beta · demo'))).toContain('the calculator tool is not available to this agent');
    // Each answer was printed once, in full, in the order the agents were given, and nothing live was left behind.
    expect(text.split('── alpha · demo').length - 1).toBe(1);
    expect(text.indexOf('── alpha · demo')).toBeLessThan(text.indexOf('── beta · demo'));
    expect(text).not.toContain('esc or ctrl+c to cancel');
    expect(text).not.toContain('**');
    // The live panels stayed below the terminal height: Ink never had to clear the screen.
    expect(t.raw()).not.toContain('\x1b[2J');
  });

  it('cancels both agents with one Ctrl+C: both upstream requests close, both panels say cancelled, exit 130', async () => {
    fake.enqueue({ fault: 'hang', text: ['First partial'] }, { fault: 'hang', text: ['Second partial'] });
    const before = fake.disconnects;
    const t = start(
      ['--base-url', fake.url, '--agent', 'remote/alpha.md', '--agent', 'remote/beta.md', 'tell me a long story'],
      { OPENAI_API_KEY: 'test' },
    );
    await t.waitFor('First partial');
    await t.waitFor('Second partial');
    await t.waitFor('0/2 agents done');
    // alpha streams into the scrollback; beta, waiting for its turn, shows its status and its answer so far.
    expect(t.screen()).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] alpha writing… 0\/2 agents done/);
    expect(t.screen()).toMatch(/── beta · gpt-[\w.-]+ · [⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] writing/);
    t.write('\x03');
    await expect.poll(() => fake.disconnects - before).toBe(2);
    await t.waitFor('2 agents: 2 cancelled');
    expect((await t.exit).exitCode).toBe(130);
    expect(t.text()).toMatch(/⏹ alpha cancelled[\s\S]*⏹ beta cancelled/);
  });

  it('holds a conversation with both agents: two turns to both with separate histories, @beta alone, a cancelled round, exit 0', async () => {
    const chats = (): RecordedRequest[] => fake.requests.filter((r) => String(r.path).endsWith('/chat/completions'));
    const before = chats().length;
    /** The user/assistant messages of this test's chat requests made by `agent` (told apart by its system prompt). */
    const asked = (agent: string): string[][] =>
      chats()
        .slice(before)
        .filter((r) => r.body.messages[0].content === `You are ${agent}.`)
        .map((r) => r.body.messages.slice(1).map((m: { role: string; content: string }) => `${m.role}: ${m.content}`));
    const t = start(['--base-url', fake.url, '--agent', 'remote/alpha.md', '--agent', 'remote/beta.md'], {
      OPENAI_API_KEY: 'test',
    });
    await t.waitFor('@name sends to one agent');
    await t.waitFor('agentor · 2 agents · alpha, beta · @name to address one');
    const promptBack = (n: number): RegExp => new RegExp(`(2 agents: 2 \\w+[\\s\\S]*){${n}}╭─+╮\\n│ ❯ +│\\n`);
    const send = async (message: string): Promise<void> => {
      t.write(message);
      await t.waitFor(`❯ ${message}`);
      t.write('\r');
    };

    // 1. Both agents answer, each in its own panel; the prompt comes back.
    fake.enqueue({ text: ['Reply ', 'one.'] }, { text: ['Reply ', 'two.'] });
    await send('first question');
    await t.waitFor(promptBack(1));
    expect(t.text()).toMatch(/── alpha · gpt-[\w.-]+ ─+\n\nReply (one|two)\.\n {2}✓ alpha completed/);
    expect(t.text()).toMatch(/── beta · gpt-[\w.-]+ ─+\n\nReply (one|two)\.\n {2}✓ beta completed/);
    expect(t.text()).toContain('Reply one.');
    expect(t.text()).toContain('Reply two.');

    // 2. A second turn: each agent's request carries its own first answer, never the other's.
    fake.enqueue({ text: ['Again ', 'A.'] }, { text: ['Again ', 'B.'] });
    await send('second question');
    await t.waitFor(promptBack(2));
    const [alpha, beta] = [asked('alpha'), asked('beta')];
    expect(alpha).toHaveLength(2);
    expect(beta).toHaveLength(2);
    expect(alpha[1]).toHaveLength(3);
    expect(alpha[1]![0]).toBe('user: first question');
    expect(alpha[1]![2]).toBe('user: second question');
    expect(beta[1]![2]).toBe('user: second question');
    expect([alpha[1]![1], beta[1]![1]].sort()).toEqual(['assistant: Reply one.', 'assistant: Reply two.']);

    // 3. @beta: only beta is asked, with its own history and without the "@beta".
    fake.enqueue({ text: ['Only ', 'beta here.'] });
    await send('@beta just you');
    await t.waitFor('Only beta here.');
    await t.waitFor(/Only beta here\.[\s\S]*╭─+╮\n│ ❯ +│\n/);
    expect(asked('alpha')).toHaveLength(2);
    expect(asked('beta')).toHaveLength(3);
    expect(asked('beta')[2]!.at(-1)).toBe('user: just you');
    expect(asked('beta')[2]).toHaveLength(5);

    // 4. Ctrl+C cancels both running agents (both requests closed), keeps the partial answers, and the chat goes on.
    const closed = fake.disconnects;
    fake.enqueue({ fault: 'hang', text: ['Partial A'] }, { fault: 'hang', text: ['Partial B'] });
    await send('tell me a long story');
    await t.waitFor('Partial A');
    await t.waitFor('Partial B');
    await t.waitFor('0/2 agents done');
    t.write('\x03');
    await expect.poll(() => fake.disconnects - closed).toBe(2);
    await t.waitFor(/2 agents: 2 cancelled[\s\S]*╭─+╮\n│ ❯ +│\n/);

    // 5. The exit keys are the single-agent chat's: Ctrl+C twice on an empty prompt.
    t.write('\x03');
    await t.waitFor('press Ctrl+C again to exit');
    t.write('\x03');
    expect((await t.exit).exitCode).toBe(0);
    // Every answer stayed on screen once, in scrollback; nothing live was left behind.
    expect(t.text().split('Reply one.').length - 1).toBe(1);
    expect(t.raw()).not.toContain('\x1b[2J');
  });

  it('types ahead while both agents run: Enter queues, the queue goes to both after the round, Ctrl+C puts it back', async () => {
    // Its own fake: the request and disconnect latches count events, so other tests' streams must not leak in.
    const own = await startFakeOpenAI();
    try {
      const t = start(['--base-url', own.url, '--agent', 'remote/alpha.md', '--agent', 'remote/beta.md'], {
        OPENAI_API_KEY: 'test',
      });
      await t.waitFor('@name sends to one agent');
      const chats = (): RecordedRequest[] => own.requests.filter((r) => String(r.path).endsWith('/chat/completions'));

      // 1. Typed while both agents stream; Enter queues it under the progress line; nothing is sent yet.
      own.enqueue(
        { fault: 'hang', text: ['Working A'] },
        { fault: 'hang', text: ['Working B'] },
        { text: ['Queued answer ', 'one.'] },
        { text: ['Queued answer ', 'two.'] },
      );
      t.write('first question\r');
      await t.waitFor('Working A');
      await t.waitFor('Working B');
      t.write('second question');
      await t.waitFor('│ ❯ second question');
      expect(t.screen()).toContain('0/2 agents done');
      t.write('\r');
      await t.waitFor(/esc or ctrl\+c to cancel\n+ +queued: second question\n+╭─+╮\n│ ❯ +│/);
      expect(chats()).toHaveLength(2);

      // 2. The round completes: the queued message goes to both agents, each with its own first exchange.
      own.release();
      await t.waitFor('Queued answer one.');
      await t.waitFor('Queued answer two.');
      await t.waitFor(/(2 agents: 2 completed[\s\S]*){2}╭─+╮\n│ ❯ +│\n/);
      const second = chats()
        .slice(2)
        .map((r) => r.body.messages.slice(1).map((m: { content: string }) => m.content));
      expect(second.map((m) => m[0])).toEqual(['first question', 'first question']);
      expect(second.map((m) => m[2])).toEqual(['second question', 'second question']);
      expect(second.map((m) => m[1]).sort()).toEqual(['Working A', 'Working B']);
      expect(t.text().indexOf('2 agents: 2 completed')).toBeLessThan(t.text().indexOf('❯ second question\n'));

      // 3. Ctrl+C while both run and a message is queued: both requests close, the message comes back into the prompt.
      own.enqueue({ fault: 'hang', text: ['Long A'] }, { fault: 'hang', text: ['Long B'] });
      t.write('third\r');
      await t.waitFor('Long A');
      await t.waitFor('Long B');
      t.write('fourth\r');
      await t.waitFor('queued: fourth');
      t.write('\x03');
      await expect.poll(() => own.disconnects).toBe(2);
      await t.waitFor(/2 agents: 2 cancelled[\s\S]*╭─+╮\n│ ❯ fourth +│\n/);
      await t.waitFor('the queued message is back in the prompt (the agents were cancelled)');
      expect(chats()).toHaveLength(6);
      expect(t.raw()).not.toContain('\x1b[2J');
    } finally {
      await own.close();
    }
  });
});
