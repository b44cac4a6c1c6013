import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../src/core/agent.js';
import type { ModelRequest } from '../../src/core/providers/types.js';
import { calculator } from '../../src/core/tools/calculator.js';
import { App } from '../../src/ui/App.js';
import { InputHistory } from '../../src/ui/history-store.js';
import { deferred, gated, hang, promptText, ScriptedProvider, text, type Turn } from './helpers.js';
import { renderInTerminal } from './terminal-render.js';

const lastUser = (req: ModelRequest | undefined): unknown =>
  req?.messages.filter((m) => m.role === 'user').at(-1)?.content;

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function setup(turns: Turn[], opts: { once?: boolean; firstPrompt?: string } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'agentor-ui-'));
  dirs.push(dir);
  const provider = new ScriptedProvider(turns);
  const agent = new Agent({ name: 'tester', model: 'scripted-1', provider, tools: [calculator] });
  const history = new InputHistory(join(dir, 'history.jsonl'));
  let exitCode: number | undefined;
  const ui = renderInTerminal(
    <App
      agents={[agent]}
      history={history}
      color={false}
      onExit={(c) => (exitCode = c)}
      once={opts.once}
      firstPrompt={opts.firstPrompt}
    />,
  );
  const frame = (): string => ui.text();
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
    expect(second.slice(-3)).toEqual([
      ['user', 'hi'],
      ['assistant', 'Hello there.'],
      ['user', 'again'],
    ]);
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
    const elapsed = (): number =>
      Number(
        /(\d+)ms · \d+ tokens|(\d+\.\d)s · \d+ tokens/
          .exec(t.frame())
          ?.slice(1)
          .map((x) => x && (x.includes('.') ? Number(x) * 1000 : Number(x)))
          .find((x) => x !== undefined) ?? -1,
      );
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

  it('Ctrl+O at the prompt prints the last answer’s reasoning in full; /copy puts the answer on the clipboard', async () => {
    const thinking: Turn = async function* () {
      yield { type: 'reasoning', text: 'First I consider\nthe question.' };
      yield { type: 'text', text: 'The **answer**.' };
    };
    const agent = new Agent({ name: 'tester', model: 'scripted-1', provider: new ScriptedProvider([thinking]) });
    const ui = renderInTerminal(
      <App agents={[agent]} history={new InputHistory(null)} color={false} onExit={() => undefined} />,
    );
    const frame = (): string => ui.text();
    const type = async (s: string): Promise<void> => {
      ui.stdin.write(s);
      await new Promise((r) => setImmediate(r));
    };
    await type('why?');
    await type('\r');
    await expect.poll(frame).toContain('The answer.');
    expect(frame()).toContain('▸ reasoning (2 lines) · ctrl+o shows it in full');
    expect(frame()).not.toContain('First I consider');
    await expect.poll(frame).toContain('/help for commands');
    await type('\x0f');
    await expect.poll(frame).toMatch(/reasoning of the last answer:\n\nFirst I consider\nthe question\./);
    await type('/copy');
    await type('\r');
    await expect.poll(frame).toContain('copied the last answer (15 characters)');
    expect(ui.raw()).toContain(`\x1b]52;c;${Buffer.from('The **answer**.').toString('base64')}\x07`);
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
    // Printed lines reach the screen with the next frame, or a moment after the last one.
    await expect.poll(t.ui.text).toContain('✗ failed');
    expect(t.ui.text()).not.toContain('/help for commands');
  });

  it('recalls the message just sent first with ↑', async () => {
    const t = setup([text('one'), text('two')]);
    for (const [msg, answer] of [
      ['first', 'one'],
      ['second', 'two'],
    ] as const) {
      await t.type(msg);
      await t.type('\r');
      await expect.poll(t.frame).toMatch(new RegExp(`✓[^\n]*\n[\\s\\S]*${answer}|${answer}[\\s\\S]*✓`));
      await expect.poll(t.frame).toContain('/help for commands');
    }
    await t.type('\x1b[A');
    await expect.poll(() => promptText(t.frame())).toBe('second');
    await t.type('\x1b[A');
    await expect.poll(() => promptText(t.frame())).toBe('first');
  });
});

describe('App: typing ahead while an answer streams', () => {
  it('keeps the prompt editable, queues messages on Enter, and sends them in order once each run completes', async () => {
    const gate1 = deferred();
    const gate2 = deferred();
    const t = setup([
      gated('First part', gate1.promise, ' and the end.'),
      gated('Second answer', gate2.promise, ' done.'),
      text('Third answer.'),
    ]);
    await t.type('one');
    await t.type('\r');
    await expect.poll(t.frame).toContain('First part');
    await expect.poll(t.frame).toContain('esc or ctrl+c to cancel');
    // Editing works while streaming: type, ←, insert, backspace, Ctrl+E.
    await t.type('tw');
    await t.type('\x1b[D'); // ←
    await t.type('x');
    await t.type('\x7f');
    await t.type('\x05'); // Ctrl+E
    await t.type('o');
    await expect.poll(() => promptText(t.frame())).toBe('two');
    expect(t.frame()).toContain('enter queues a message');
    await t.type('\r');
    await expect.poll(t.frame).toContain('queued: two');
    expect(promptText(t.frame())).toBe('');
    await t.type('three\nline 2');
    await t.type('\r');
    await expect.poll(t.frame).toContain('queued: three ⏎ line 2');
    // The progress line is still there; nothing was sent yet.
    expect(t.frame()).toContain('esc or ctrl+c to cancel');
    expect(t.provider.requests).toHaveLength(1);

    gate1.open();
    await expect.poll(() => t.provider.requests.length).toBe(2);
    await expect.poll(t.frame).toContain('Second answer');
    expect(lastUser(t.provider.requests[1])).toBe('two');
    // The first answer is complete in history, the sent message echoed after it, the rest still queued.
    const frame = t.frame();
    expect(frame.indexOf('First part and the end.')).toBeLessThan(frame.indexOf('❯ two'));
    expect(frame).not.toContain('queued: two');
    expect(frame).toContain('queued: three ⏎ line 2');

    gate2.open();
    await expect.poll(t.frame).toContain('Third answer.');
    expect(lastUser(t.provider.requests[2])).toBe('three\nline 2');
    // The conversation carried every turn, in order.
    expect(t.provider.requests[2]!.messages.filter((m) => m.role !== 'system').map((m) => m.content)).toEqual([
      'one',
      'First part and the end.',
      'two',
      'Second answer done.',
      'three\nline 2',
    ]);
    await expect.poll(t.frame).toContain('/help for commands');
    expect(t.frame()).not.toContain('queued:');
  });

  it('Esc cancels at once and puts the queued messages (and the draft) back into the prompt, unsent', async () => {
    const t = setup([hang('Partial words'), text('After the cancel.')]);
    await t.type('long story');
    await t.type('\r');
    await expect.poll(t.frame).toContain('Partial words');
    await t.type('follow up');
    await t.type('\r');
    await t.type('and another');
    await t.type('\r');
    await expect.poll(t.frame).toContain('queued: and another');
    await t.type('draft');
    await t.type('\x1b');
    await expect.poll(t.frame).toContain('⏹ cancelled');
    expect(t.provider.aborted).toBe(true);
    await expect.poll(() => promptText(t.frame())).toBe('follow up\nand another\ndraft');
    expect(t.frame()).toContain('2 queued messages are back in the prompt');
    expect(t.frame()).not.toContain('queued:');
    // Another key is handled (so any effect that would send the queue has run): still only the cancelled request.
    await t.type('!');
    await expect.poll(() => promptText(t.frame())).toBe('follow up\nand another\ndraft!');
    expect(t.provider.requests).toHaveLength(1);
    expect(t.frame()).toContain('Partial words');
    // Enter sends the restored text as one message.
    await t.type('\r');
    await expect.poll(t.frame).toContain('After the cancel.');
    expect(lastUser(t.provider.requests[1])).toBe('follow up\nand another\ndraft!');
  });

  it('a run that fails puts the queue back into the prompt instead of sending it', async () => {
    const gate = deferred();
    const failing: Turn = async function* () {
      yield { type: 'text', text: 'Starting' };
      await gate.promise;
      throw new Error('upstream broke');
    };
    const t = setup([failing]);
    await t.type('go');
    await t.type('\r');
    await expect.poll(t.frame).toContain('Starting');
    await t.type('next please');
    await t.type('\r');
    await expect.poll(t.frame).toContain('queued: next please');
    gate.open();
    await expect.poll(t.frame).toContain('✗ failed');
    await expect.poll(() => promptText(t.frame())).toBe('next please');
    expect(t.frame()).toContain('the queued message is back in the prompt (the run ended: failed)');
    expect(t.provider.requests).toHaveLength(1);
  });

  it('runs queued slash commands in order: /model applies to the message queued after it', async () => {
    const gate = deferred();
    const t = setup([gated('Answer one', gate.promise, '.'), text('On the other model.')]);
    await t.type('first');
    await t.type('\r');
    await expect.poll(t.frame).toContain('Answer one');
    await t.type('/model other-model');
    await t.type('\r');
    await t.type('second');
    await t.type('\r');
    await expect.poll(t.frame).toContain('queued: second');
    expect(t.frame()).toContain('queued: /model other-model');
    gate.open();
    await expect.poll(t.frame).toContain('On the other model.');
    expect(t.provider.requests[0]!.model).toBe('scripted-1');
    expect(t.provider.requests[1]!.model).toBe('other-model');
    const frame = t.frame();
    expect(frame.indexOf('Answer one.')).toBeLessThan(frame.indexOf('model: other-model'));
    expect(frame.indexOf('model: other-model')).toBeLessThan(frame.indexOf('❯ second'));
  });

  it('never exits while streaming: Ctrl+D on an empty prompt does nothing; ↑ recalls history; Ctrl+D deletes at the cursor', async () => {
    const t = setup([text('ok'), hang('Streaming')]);
    await t.type('earlier');
    await t.type('\r');
    await expect.poll(t.frame).toContain('/help for commands');
    await t.type('now');
    await t.type('\r');
    await expect.poll(t.frame).toContain('Streaming');
    await t.type('\x04');
    await t.type('\x1b[A');
    await expect.poll(() => promptText(t.frame())).toBe('now');
    await t.type('\x1b[A');
    await expect.poll(() => promptText(t.frame())).toBe('earlier');
    await t.type('\x01'); // Ctrl+A: start of line
    await t.type('\x04'); // Ctrl+D: delete at the cursor
    await expect.poll(() => promptText(t.frame())).toBe('arlier');
    expect(t.exitCode()).toBeUndefined();
    expect(t.frame()).toContain('esc or ctrl+c to cancel');
    await t.type('\x03');
    await expect.poll(t.frame).toContain('⏹ cancelled');
    expect(t.exitCode()).toBeUndefined();
    expect(promptText(t.frame())).toBe('arlier');
  });

  it('a queued /exit exits once the run completes, after its answer is on screen', async () => {
    const gate = deferred();
    const t = setup([gated('Last', gate.promise, ' words.')]);
    await t.type('bye');
    await t.type('\r');
    await expect.poll(t.frame).toContain('Last');
    await t.type('/exit');
    await t.type('\r');
    await expect.poll(t.frame).toContain('queued: /exit');
    expect(t.exitCode()).toBeUndefined();
    gate.open();
    await expect.poll(t.exitCode).toBe(0);
    await expect.poll(t.ui.text).toContain('Last words.');
  });
});
