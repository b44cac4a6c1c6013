import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent, Conversation } from '../../src/core/agent.js';
import type { EventPayload } from '../../src/core/events.js';
import { chatReducer, initialChatState, type ChatAction, type ChatState } from '../../src/ui/chat-state.js';
import { clipboardNote, parseCommand, runCommand } from '../../src/ui/commands.js';
import { ScriptedProvider } from './helpers.js';
import { end, script } from './script.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A chat whose rounds each had `answers[i]` as every agent's answer (each agent its own run). */
function chat(answers: EventPayload[][], names = ['assistant']) {
  const layout = { width: 80, rows: 24, color: false };
  let state: ChatState = initialChatState(
    names.map((name) => ({ name, model: 'm', isDemo: false })),
    layout,
  );
  answers.forEach((payloads, i) => {
    state = chatReducer(state, { type: 'start', prompt: `question ${i}`, now: 0 });
    for (const [k, name] of names.entries()) {
      const events = script([...payloads, end('completed')], { runId: `r${i}-${k}` }).map((e) => ({
        ...e,
        agent: name,
      }));
      state = chatReducer(state, { type: 'events', events });
    }
  });
  const cwd = mkdtempSync(join(tmpdir(), 'agentor-commands-'));
  dirs.push(cwd);
  const notices: Array<{ text: string; tone: string }> = [];
  const copied: string[] = [];
  let cleared = 0;
  const run = (text: string, env: NodeJS.ProcessEnv = {}): void => {
    const cmd = parseCommand(text);
    if (!cmd) throw new Error(`not a command: ${text}`);
    runCommand(cmd, {
      agents: names.map((name) => new Agent({ name, model: 'm', provider: new ScriptedProvider([]) })),
      conversations: names.map(() => new Conversation()),
      state,
      dispatch: (a: ChatAction) => {
        if (a.type === 'notice') notices.push({ text: a.text, tone: a.tone ?? 'info' });
        state = chatReducer(state, a);
      },
      screen: { clear: () => void cleared++, copy: (t) => void copied.push(t), print: () => undefined },
      exit: () => undefined,
      env,
      cwd,
      now: new Date(0),
    });
  };
  return { run, notices, copied, cwd, cleared: () => cleared, state: () => state };
}

const text = (t: string): EventPayload => ({ type: 'text_delta', text: t, turn: 1 });

describe('slash commands', () => {
  it('/copy copies the last answer as markdown through OSC 52, with a note on what the terminal must allow', () => {
    const c = chat([[text('First.')], [text('The **last** answer.')]]);
    c.run('/copy');
    expect(c.copied).toEqual(['The **last** answer.']);
    expect(c.notices.at(-1)?.text).toMatch(
      /^copied the last answer \(20 characters\) · sent through the terminal \(OSC 52\)/,
    );
    c.run('/copy', { TMUX: '/tmp/tmux-1/default,1,0' });
    expect(c.notices.at(-1)?.text).toContain('in tmux this needs `set -g set-clipboard on`');
  });

  it('/copy code n copies one code block of the last answer; without n the last one', () => {
    const c = chat([[text('A:\n\n```sh\nls\n```\n\n- item\n\n  ```js\n  x = 1\n  ```\n\nB:\n\n```\nthird\n```')]]);
    c.run('/copy code 1');
    c.run('/copy code 2');
    c.run('/copy code');
    expect(c.copied).toEqual(['ls', 'x = 1', 'third']);
    expect(c.notices.at(-1)?.text).toMatch(/^copied code block 3 of 3 /);
    c.run('/copy code 9');
    expect(c.notices.at(-1)).toEqual({ text: 'no code block 9: the last answer has 3 code blocks', tone: 'warn' });
  });

  it('/copy with nothing to copy says so', () => {
    const c = chat([]);
    c.run('/copy');
    expect(c.copied).toEqual([]);
    expect(c.notices.at(-1)).toEqual({ text: 'nothing to copy yet: no answer so far', tone: 'warn' });
  });

  it('with several agents, /copy copies the round’s answers under their names; /copy code names the agent when needed', () => {
    const c = chat([[text('Same:\n\n```\na\n```')]], ['alpha', 'beta']);
    c.run('/copy');
    expect(c.copied[0]).toBe('## alpha\n\nSame:\n\n```\na\n```\n\n## beta\n\nSame:\n\n```\na\n```');
    c.run('/copy code');
    expect(c.notices.at(-1)).toEqual({
      text: 'several answers have code: name one, e.g. /copy code 1 @alpha',
      tone: 'warn',
    });
    c.run('/copy code 1 @beta');
    expect(c.copied[1]).toBe('a');
    expect(c.notices.at(-1)?.text).toMatch(/^copied code block 1 of beta /);
  });

  it('/save writes the transcript with reasoning collapsed, and refuses to overwrite a file unless /save! is used', () => {
    const c = chat([[{ type: 'reasoning_delta', text: 'Let me think.', turn: 1 }, text('Answer.')]]);
    c.run('/save notes.md');
    const file = join(c.cwd, 'notes.md');
    expect(c.notices.at(-1)?.text).toBe(`saved the transcript to ${file}`);
    expect(readFileSync(file, 'utf8')).toBe(
      [
        '# agentor chat — assistant (m)',
        '',
        '_Saved 1970-01-01T00:00:00.000Z_',
        '',
        '## You',
        '',
        'question 0',
        '',
        '## assistant',
        '',
        '<details>',
        '<summary>reasoning</summary>',
        '',
        'Let me think.',
        '',
        '</details>',
        '',
        'Answer.',
        '',
      ].join('\n'),
    );
    writeFileSync(file, 'precious');
    c.run('/save notes.md');
    expect(c.notices.at(-1)).toEqual({
      text: `${file} already exists: /save! notes.md overwrites it, or pick another name`,
      tone: 'warn',
    });
    expect(readFileSync(file, 'utf8')).toBe('precious');
    c.run('/save! notes.md');
    expect(readFileSync(file, 'utf8')).toContain('Answer.');
  });

  it('parses /save! as a command (not a message), and /clear clears the screen and forgets', () => {
    expect(parseCommand('/save! x.md')).toEqual({ name: 'save', arg: 'x.md', force: true });
    expect(parseCommand('/save x.md')).toEqual({ name: 'save', arg: 'x.md', force: false });
    expect(parseCommand('//not a command')).toBeUndefined();
    const c = chat([[text('Hi.')]]);
    c.run('/clear');
    expect(c.cleared()).toBe(1);
    expect(c.state().transcript).toEqual([]);
  });

  it('/help lists /copy and /save!, and /agents only with several agents', () => {
    const one = chat([]);
    one.run('/help');
    expect(one.notices[0]?.text).toMatch(/\/copy \[code \[n\]\] +copy the last answer/);
    expect(one.notices[0]?.text).toContain('(/save! overwrites)');
    expect(one.notices[0]?.text).not.toContain('/agents');
    const two = chat([], ['alpha', 'beta']);
    two.run('/help');
    expect(two.notices[0]?.text).toMatch(/\/agents +list the agents/);
  });

  it('/help explains the approval keys, and that a key answers only the question on screen', () => {
    const c = chat([]);
    c.run('/help');
    expect(c.notices[0]?.text).toContain('a tool call waiting for approval: y once · a always');
    expect(c.notices[0]?.text).toContain('keys typed with it (ya) are dropped');
  });

  it('names the terminals that cannot copy', () => {
    expect(clipboardNote({ TERM_PROGRAM: 'Apple_Terminal' }).tone).toBe('warn');
    expect(clipboardNote({ STY: '1.pts' }).text).toContain('GNU screen');
  });
});
