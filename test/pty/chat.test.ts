/**
 * The built CLI in a real terminal (node-pty + headless xterm) against the loopback fake OpenAI server: type a prompt,
 * see the streamed answer and a tool panel, cancel mid-stream with Ctrl+C (upstream request closed), exit with two
 * Ctrl+C, type ahead while an answer streams. Everything synchronises on screen content or server events, never on
 * sleeps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';
import { cleanEnv } from '../support/cli.js';
import { startPty, type PtyTerminal } from './terminal.js';

let fake: FakeOpenAI;
const running: PtyTerminal[] = [];
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  for (const t of running) t.kill();
  await fake?.close();
});

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return cleanEnv({ OPENAI_API_KEY: 'test', TERM: 'xterm-256color', ...extra });
}

function chat(args: string[] = [], extra: Record<string, string> = {}): PtyTerminal {
  const t = startPty(['chat', '--base-url', fake.url, ...args], { env: env(extra), cols: 100, rows: 30 });
  running.push(t);
  return t;
}

describe('agentor chat in a real terminal', () => {
  it('streams an answer, shows a tool panel, cancels with Ctrl+C, and exits with two Ctrl+C', async () => {
    const t = chat();
    await t.waitFor('/help for commands');
    await t.waitFor('agentor · assistant · model gpt-4.1-mini');

    // 1. A streamed markdown answer.
    fake.enqueue({ text: ['Hello', ' from **the', ' fake**', ' model.\n\n- one\n- two'] });
    t.write('say hello');
    await t.waitFor('❯ say hello');
    t.write('\r');
    await t.waitFor('Hello from the fake model.');
    await t.waitFor(/✓ [\d.]+m?s · \d+ tokens/);
    expect(t.text()).not.toContain('**');
    expect(t.text()).toContain('• one');

    // 2. A tool call panel, then the final answer.
    fake.enqueue(
      { toolCalls: [{ name: 'calculator', arguments: { expression: '17 * 23' } }] },
      { text: ['The answer is ', '391.'] },
    );
    t.write('compute 17*23');
    await t.waitFor('❯ compute 17*23');
    t.write('\r');
    await t.waitFor('The answer is 391.');
    const text = t.text();
    expect(text).toMatch(/╭─+╮\n│ ⚙ calculator ✓ \d+ms/);
    expect(text).toContain('expression: 17 * 23');
    expect(text).toContain('→ 391');
    // The follow-up request carried the conversation (first prompt and answer included).
    const last = fake.requests.at(-1)!.body as { messages: Array<{ role: string; content: string | null }> };
    expect(last.messages.some((m) => m.role === 'user' && m.content === 'say hello')).toBe(true);

    // 3. Ctrl+C in the middle of a stream: the request is closed, the partial answer stays, marked cancelled.
    fake.enqueue({ fault: 'hang', text: ['A partial ', 'answer that'] });
    t.write('tell me a long story');
    await t.waitFor('❯ tell me a long story');
    t.write('\r');
    await fake.waitForStreamStarted();
    await t.waitFor('A partial answer that');
    await t.waitFor('esc or ctrl+c to cancel');
    const pressed = Date.now();
    t.write('\x03');
    await fake.waitForDisconnect();
    expect(Date.now() - pressed).toBeLessThan(1000);
    await t.waitFor('⏹ cancelled');
    await t.waitFor(/⏹ cancelled[^\n]*\n(?:.*\n)*.*╭─+╮\n│ ❯/);
    expect(t.text()).toContain('A partial answer that');

    // 4. Two Ctrl+C on the empty prompt: exit code 0.
    t.write('\x03');
    await t.waitFor('press Ctrl+C again to exit');
    t.write('\x03');
    expect((await t.exit).exitCode).toBe(0);
  });

  it('never lets model text drive the terminal (title, clear screen)', async () => {
    const t = chat();
    await t.waitFor('/help for commands');
    fake.enqueue({ text: ['safe\x1b]0;pwned\x07 text\x1b[2J', ' and more', '\x1b[31m red?\x1b[0m'] });
    let title = '';
    t.term.onTitleChange((s) => (title = s));
    t.write('hi');
    await t.waitFor('❯ hi');
    t.write('\r');
    await t.waitFor('safe text and more red?');
    expect(title).not.toContain('pwned');
    expect(t.text()).toContain('agentor · assistant'); // the header was not cleared away
    expect(t.raw()).not.toContain('\x1b]0;pwned');
    expect(t.raw()).not.toContain('\x1b[2J');
    t.write('\x04');
    expect((await t.exit).exitCode).toBe(0);
  });

  it('renders a one-shot prompt through Ink in a terminal and exits with the run status', async () => {
    fake.enqueue({ text: ['# Title\n\nOne-shot ', '**answer**.'] });
    const t = chat(['one shot please']);
    await t.waitFor('One-shot answer.');
    expect((await t.exit).exitCode).toBe(0);
    expect(t.text()).not.toContain('**');
    expect(t.text()).not.toContain('/help for commands');
  });

  it('respects NO_COLOR (no colour, bold kept) and re-wraps the live region on resize without printing anything again', async () => {
    fake.enqueue({
      text: ['A **styled** answer with `code` that is long enough to wrap once the terminal becomes narrow.'],
    });
    const t = chat([], { NO_COLOR: '1' });
    await t.waitFor('/help for commands');
    t.write('style me');
    await t.waitFor('❯ style me');
    t.write('\r');
    await t.waitFor('A styled answer with code');
    await t.waitFor(/✓ .*tokens?[\s\S]*╭─+╮/);
    // NO_COLOR is about colour: no colour parameter in any SGR sequence, but bold is there.
    const sgr = [...t.raw().matchAll(/\x1b\[([0-9;]*)m/g)].map((m) => m[1] as string);
    expect(sgr).toContain('1');
    for (const params of sgr) expect(params).not.toMatch(/(^|;)(3[0-9]|4[0-9]|9[0-7]|10[0-7])(;|$)/);

    await t.resize(50, 30);
    // The prompt is laid out again at the new width; the answer was not printed again (the terminal re-wrapped it).
    await t.waitFor(/╭─{48}╮/);
    expect(t.logicalText().split('A styled answer with code').length - 1).toBe(1);
    expect(t.raw()).not.toContain('\x1b[2J');
    t.write('\x04');
    expect((await t.exit).exitCode).toBe(0);
  });

  it('prints a long code block line by line as it streams: the live region stays small, nothing is redrawn', async () => {
    const lines = Array.from(
      { length: 60 },
      (_, i) => `const value${i} = compute(${i}); // a comment long enough to wrap in a narrow terminal window\n`,
    );
    fake.enqueue({ fault: 'hang', text: ['Here is the code:\n\n```ts\n', ...lines] });
    const t = startPty(['chat', '--base-url', fake.url], { env: env(), cols: 60, rows: 14 });
    running.push(t);
    await t.waitFor('ctrl+c twice to exit');
    t.write('code please');
    await t.waitFor('❯ code please');
    t.write('\r');
    await fake.waitForStreamStarted();
    await t.waitFor('compute(59)');
    // Let the progress line tick for a while (several re-renders of the live region).
    await t.waitFor(/[1-9]\.\ds · \d+ tokens/);
    expect(t.raw()).not.toContain('\x1b[2J');
    t.write('\x03');
    await fake.waitForDisconnect();
    await t.waitFor('⏹ cancelled');
    const text = t.logicalText();
    for (let i = 0; i < 60; i++) expect(text.split(`compute(${i});`).length - 1, `line ${i}`).toBe(1);
    t.write('\x04');
    expect((await t.exit).exitCode).toBe(0);
  });

  it('leaves no stale frames behind: every streamed line is on screen exactly once (--demo)', async () => {
    const t = startPty(['chat', '--demo'], { env: env({ AGENTOR_DEMO_DELAY_MS: '4' }), cols: 80, rows: 24 });
    running.push(t);
    await t.waitFor('ctrl+c twice to exit');
    await t.waitFor('DEMO');
    t.write('What is 6*7?');
    await t.waitFor('❯ What is 6*7?');
    t.write('\r');
    await t.waitFor(/✓ [\d.]+m?s · \d+ tokens · 1 tool/);
    const text = t.text();
    for (const phrase of [
      'this answer comes from',
      'Let me work out',
      '⚙ calculator',
      'What you just saw',
      'a final answer built',
    ]) {
      expect(text.split(phrase).length - 1, phrase).toBe(1);
    }
    expect(text).not.toMatch(/esc or ctrl\+c to cancel/);
    t.write('\x04');
    expect((await t.exit).exitCode).toBe(0);
  });

  it('types ahead while an answer streams: Enter queues, the queue is sent after the run, Ctrl+C puts it back', async () => {
    // Its own fake: the stream-start and disconnect latches count events, so other tests' streams must not leak in.
    const own = await startFakeOpenAI();
    try {
      const t = startPty(['chat', '--base-url', own.url], { env: env(), cols: 100, rows: 30 });
      running.push(t);
      await t.waitFor('/help for commands');

      // 1. Typed while the first answer streams; Enter queues it; the prompt clears; nothing is sent yet.
      own.enqueue({ fault: 'hang', text: ['Working ', 'on it'] }, { text: ['Answer to the queued ', 'question.'] });
      t.write('first question\r');
      await own.waitForStreamStarted();
      await t.waitFor('Working on it');
      t.write('second question');
      await t.waitFor('│ ❯ second question');
      expect(t.screen()).toContain('esc or ctrl+c to cancel');
      t.write('\r');
      await t.waitFor('queued: second question');
      await t.waitFor(/queued: second question\n+\s*╭─+╮\n│ ❯ /);
      expect(own.requests).toHaveLength(1);

      // 2. The first run completes: the queued message is sent next, with the first exchange in the conversation.
      own.release();
      await t.waitFor('Answer to the queued question.');
      await t.waitFor(/✓[^\n]*\n(?:.*\n)*.*✓ [\d.]+m?s · \d+ tokens/);
      const body = own.requests.at(-1)!.body as { messages: Array<{ role: string; content: string | null }> };
      expect(body.messages.map((m) => m.content).slice(-3)).toEqual([
        'first question',
        'Working on it',
        'second question',
      ]);
      expect(t.text().indexOf('Working on it')).toBeLessThan(t.text().indexOf('❯ second question'));
      await t.waitFor('/help for commands');
      expect(t.screen()).not.toContain('queued:');

      // 3. Queue two more during a stream, then Ctrl+C: cancelled at once, the queue comes back into the prompt, unsent.
      own.enqueue({ fault: 'hang', text: ['A long ', 'story'] });
      t.write('third\r');
      await own.waitForRequests(3);
      await t.waitFor('A long story');
      t.write('fourth\r');
      await t.waitFor('queued: fourth');
      t.write('fifth\r');
      await t.waitFor('queued: fifth');
      const pressed = Date.now();
      t.write('\x03');
      await own.waitForDisconnect();
      expect(Date.now() - pressed).toBeLessThan(1000);
      await t.waitFor('⏹ cancelled');
      await t.waitFor(/│ ❯ fourth\s*│\n│\s+fifth/);
      await t.waitFor('2 queued messages are back in the prompt');
      expect(own.requests).toHaveLength(3);

      // 4. Ctrl+C clears the prompt; Ctrl+D on the empty prompt exits 0.
      t.write('\x03');
      await t.waitFor(/│ ❯ \s*│\n╰/);
      t.write('\x04');
      expect((await t.exit).exitCode).toBe(0);
      expect(own.requests).toHaveLength(3);
    } finally {
      await own.close();
    }
  });
});
