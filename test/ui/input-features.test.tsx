/**
 * The prompt's input features in the chat App, drawn through TerminalOutput into a headless xterm: Tab completion of
 * commands and `@paths`, files attached on send, Ctrl+R history search, the /model picker, `!command`, Ctrl+G with an
 * editor script and Ctrl+L. Keys are written as a terminal sends them, several in one read where that matters.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { Agent } from '../../src/core/agent.js';
import { MemorySessionStore } from '../../src/core/sessions/memory-store.js';
import { openChatSession } from '../../src/commands/chat-session.js';
import type { ChatMessage, ModelRequest } from '../../src/core/providers/types.js';
import { App } from '../../src/ui/App.js';
import { InputHistory } from '../../src/ui/history-store.js';
import type { Screen } from '../../src/ui/screen.js';
import { SHELL_TRUST_FILE } from '../../src/ui/shell-trust.js';
import { tempDir } from '../support/cleanup.js';
import { promptText, ScriptedProvider, text, type Turn } from './helpers.js';
import { renderInTerminal } from './terminal-render.js';

/** A provider that can list its models, as the OpenAI one does with GET /v1/models. */
class ListingProvider extends ScriptedProvider {
  constructor(
    turns: Turn[],
    private readonly models: string[] | Error,
  ) {
    super(turns);
  }
  async listModels(): Promise<string[]> {
    if (this.models instanceof Error) throw this.models;
    return this.models;
  }
}

function project(): string {
  const dir = tempDir('agentor-ui-input-');
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'keys.ts'), 'export const KEYS = 1;\n// second line\n');
  writeFileSync(join(dir, 'src', 'keyboard.ts'), 'x\n');
  return dir;
}

function setup(
  turns: Turn[],
  opts: { cwd?: string; history?: string[]; models?: string[] | Error; screen?: Screen } = {},
) {
  const cwd = opts.cwd ?? project();
  const provider = opts.models ? new ListingProvider(turns, opts.models) : new ScriptedProvider(turns);
  const agent = new Agent({ name: 'tester', model: 'scripted-1', provider });
  const history = new InputHistory(join(cwd, 'history.jsonl'));
  for (const h of opts.history ?? []) history.add(h);
  const ui = renderInTerminal(
    <App
      agents={[agent]}
      history={history}
      color={false}
      onExit={() => undefined}
      cwd={cwd}
      {...(opts.screen ? { screen: opts.screen } : {})}
    />,
    { columns: 100, rows: 30 },
  );
  onTestFinished(() => ui.unmount());
  const prompt = (): string => promptText(ui.screen());
  return { provider, ui, cwd, prompt };
}

const lastUser = (req: ModelRequest | undefined): string =>
  String(req?.messages.filter((m: ChatMessage) => m.role === 'user').at(-1)?.content ?? '');

describe('Tab completion and @file', () => {
  it('completes @src/keys.ts, attaches the file on send, and shows a line for it instead of its text', async () => {
    const { provider, ui, prompt } = setup([text('Seen it.')]);
    await expect.poll(() => ui.text()).toContain('❯ ');
    ui.stdin.write('explain @src/k');
    ui.stdin.write('\t');
    await expect.poll(prompt).toBe('explain @src/key');
    expect(ui.screen()).toContain('keyboard.ts  keys.ts');
    ui.stdin.write('s.\t');
    await expect.poll(prompt).toBe('explain @src/keys.ts ');
    ui.stdin.write('\r');
    await expect.poll(() => ui.text()).toContain('Seen it.');
    expect(lastUser(provider.requests[0])).toBe(
      'explain @src/keys.ts\n\nThe file I mentioned:\n\n<file path="src/keys.ts">\nexport const KEYS = 1;\n// second line\n</file>',
    );
    expect(ui.text()).toContain('❯ explain @src/keys.ts');
    expect(ui.text()).toContain('attached src/keys.ts (2 lines)');
    expect(ui.text()).not.toContain('export const KEYS');
  });

  it('@src/ attaches the tree listing and shows "attached src/ (2 entries)"', async () => {
    const { provider, ui } = setup([text('Two files.')]);
    await expect.poll(() => ui.text()).toContain('❯ ');
    ui.stdin.write('what is in @sr\t');
    await expect.poll(() => ui.screen()).toContain('❯ what is in @src/');
    ui.stdin.write('\r');
    await expect.poll(() => ui.text()).toContain('Two files.');
    expect(ui.text()).toContain('attached src/ (2 entries)');
    expect(lastUser(provider.requests[0])).toBe(
      'what is in @src/\n\nWhat I mentioned:\n\n<directory path="src/">\nsrc/\n  keyboard.ts\n  keys.ts\n</directory>',
    );
  });

  it('/co<Tab> lists /compact and /copy; /he<Tab> completes /help', async () => {
    const { ui, prompt } = setup([]);
    await expect.poll(() => ui.text()).toContain('❯ ');
    ui.stdin.write('/co\t');
    await expect.poll(() => ui.screen()).toContain('/compact  /copy');
    ui.stdin.write('\x15/he\t');
    await expect.poll(prompt).toBe('/help ');
    ui.stdin.write('\r');
    await expect.poll(() => ui.text()).toContain('ctrl+r searches the history');
  });

  it("/copy code <Tab> lists the last answer's code blocks (number, language, first line); a number finishes", async () => {
    const answer = [
      'Two ways:',
      '',
      '```ts',
      'const answer = 42;',
      '```',
      '',
      'or',
      '',
      '```python',
      '',
      'print("hello")',
      '```',
    ].join('\n');
    const { ui, prompt } = setup([text(answer)]);
    await expect.poll(() => ui.text()).toContain('❯ ');
    // Before any answer there is nothing to offer.
    ui.stdin.write('/copy code \t');
    await expect.poll(prompt).toBe('/copy code ');
    expect(ui.screen()).not.toContain('1 ts');
    ui.stdin.write('\x15show both\r');
    await expect.poll(() => ui.text()).toContain('print("hello")');
    ui.stdin.write('/copy code \t');
    await expect.poll(() => ui.screen()).toContain('1 ts: const answer = 42;  2 python: print("hello")');
    ui.stdin.write('2\t');
    await expect.poll(prompt).toBe('/copy code 2 ');
    ui.stdin.write('\r');
    await expect.poll(() => ui.text()).toContain('copied code block 2 of 2');
    expect(ui.raw()).toContain(`\x1b]52;c;${Buffer.from('\nprint("hello")').toString('base64')}\x07`);
  });
});

describe('Ctrl+R', () => {
  it('finds the newest match as typed, older with Ctrl+R, takes it with Enter, and Esc goes back to the draft', async () => {
    const { ui, prompt } = setup([text('Pushed.')], { history: ['git status', 'write tests', 'git push'] });
    await expect.poll(() => ui.text()).toContain('❯ ');
    ui.stdin.write('draft');
    ui.stdin.write('\x12');
    await expect.poll(() => ui.screen()).toContain('search history: █');
    ui.stdin.write('git');
    await expect.poll(prompt).toBe('git push');
    ui.stdin.write('\x12');
    await expect.poll(prompt).toBe('git status');
    ui.stdin.write('\x1b');
    await expect.poll(prompt).toBe('draft');
    ui.stdin.write('\x15\x12git\r');
    await expect.poll(prompt).toBe('git push');
    expect(ui.screen()).not.toContain('search history');
    ui.stdin.write('\r');
    await expect.poll(() => ui.text()).toContain('Pushed.');
  });
});

describe('/model', () => {
  it('lists the provider models, switches to the one picked, and the next run uses it', async () => {
    const { provider, ui } = setup([text('From beta.')], { models: ['alpha-1', 'beta-2', 'gamma-3'] });
    await expect.poll(() => ui.text()).toContain('❯ ');
    ui.stdin.write('/model\r');
    await expect.poll(() => ui.screen()).toContain('gamma-3');
    expect(ui.screen()).toContain('scripted-1  in use');
    ui.stdin.write('bet\r');
    await expect.poll(() => ui.text()).toContain('model: beta-2');
    ui.stdin.write('hello\r');
    await expect.poll(() => ui.text()).toContain('From beta.');
    expect(provider.requests[0]?.model).toBe('beta-2');
    ui.stdin.write('/model delta-9\r');
    await expect.poll(() => ui.text()).toContain('delta-9 is not among the models the provider lists');
  });

  it('falls back to the model in use when the upstream has no list, and says so', async () => {
    const { ui } = setup([], { models: new Error('http://127.0.0.1:9/v1/models answered 404') });
    await expect.poll(() => ui.text()).toContain('❯ ');
    ui.stdin.write('/model\r');
    await expect
      .poll(() => ui.text())
      .toContain('could not list the models (http://127.0.0.1:9/v1/models answered 404)');
    await expect.poll(() => ui.screen()).toContain('scripted-1  in use');
    ui.stdin.write('\x1b');
    await expect.poll(() => ui.screen()).not.toContain('scripted-1  in use');
    expect(ui.screen()).toContain('❯ ');
  });
});

describe('!command', () => {
  it('runs in the cwd, shows its output stripped of control sequences, and offers it as context', async () => {
    const { provider, ui, prompt, cwd } = setup([text('It printed hired.')]);
    await expect.poll(() => ui.text()).toContain('❯ ');
    ui.stdin.write("!printf 'hi\\033[31mred\\033]0;title\\007 in '; pwd\r");
    await expect.poll(() => ui.screen()).toContain('⏸ run this shell command?');
    ui.stdin.write('y');
    await expect.poll(prompt).toContain('[output of');
    expect(ui.text()).toContain(`hired in ${cwd}`);
    expect(ui.text()).toContain('✓ exit 0 · the output is in the prompt as context for your next message');
    ui.stdin.write('what is it?\r');
    await expect.poll(() => ui.text()).toContain('It printed hired.');
    const sent = lastUser(provider.requests[0]);
    expect(sent).toContain(
      "Output of the shell command `printf 'hi\\033[31mred\\033]0;title\\007 in '; pwd` (exit 0):",
    );
    expect(sent).toContain(`hired in ${cwd}`);
    expect(sent).not.toContain('\x1b');
    expect(sent.endsWith('what is it?')).toBe(true);
  });

  it('Esc stops a running command and nothing is offered', async () => {
    const { ui, prompt } = setup([]);
    await expect.poll(() => ui.text()).toContain('❯ ');
    ui.stdin.write('!echo started; sleep 30\r');
    await expect.poll(() => ui.screen()).toContain('⏸ run this shell command?');
    ui.stdin.write('y');
    await expect.poll(() => ui.screen()).toContain('esc or ctrl+c stops it');
    ui.stdin.write('\x1b');
    await expect.poll(() => ui.text()).toContain('✗ cancelled');
    expect(ui.text()).toContain('started');
    expect(prompt()).toBe('');
  });
});

describe('!command asks the first time', () => {
  it('shows what will run and where; n and Esc run nothing; y runs it and the next one without asking', async () => {
    const { ui, prompt, cwd } = setup([]);
    await expect.poll(() => ui.text()).toContain('❯ ');
    ui.stdin.write('!touch made-by-n\r');
    await expect.poll(() => ui.screen()).toContain('⏸ run this shell command?');
    expect(ui.screen()).toContain('$ touch made-by-n');
    expect(ui.screen()).toContain(`in ${cwd}`);
    expect(ui.screen()).toContain('y run (and later ones in this chat) · a always in this dir · n/esc don’t run');
    ui.stdin.write('n');
    await expect.poll(() => ui.text()).toContain('not run · ↑ brings the command back');
    expect(existsSync(join(cwd, 'made-by-n'))).toBe(false);
    ui.stdin.write('!touch made-by-esc\r');
    await expect.poll(() => ui.screen()).toContain('$ touch made-by-esc');
    ui.stdin.write('\x1b');
    await expect.poll(() => ui.screen()).not.toContain('⏸ run this shell command?');
    expect(existsSync(join(cwd, 'made-by-esc'))).toBe(false);
    // ↑ recalls the declined command, to edit or send again.
    ui.stdin.write('\x1b[A');
    await expect.poll(prompt).toBe('!touch made-by-esc');
    ui.stdin.write('\x15!echo one > one.txt\r');
    await expect.poll(() => ui.screen()).toContain('$ echo one > one.txt');
    ui.stdin.write('y');
    await expect.poll(() => ui.text()).toContain('✓ exit 0');
    expect(readFileSync(join(cwd, 'one.txt'), 'utf8')).toBe('one\n');
    ui.stdin.write('\x15!echo two > two.txt\r');
    await expect.poll(() => existsSync(join(cwd, 'two.txt'))).toBe(true);
    expect(ui.text().match(/run this shell command\?/g)?.length ?? 0).toBe(0);
    expect(existsSync(join(cwd, SHELL_TRUST_FILE))).toBe(false);
  });

  it('a remembers the directory beside the history file: a later chat there runs without asking', async () => {
    const { ui, cwd } = setup([]);
    await expect.poll(() => ui.text()).toContain('❯ ');
    ui.stdin.write('!echo first\r');
    await expect.poll(() => ui.screen()).toContain('⏸ run this shell command?');
    ui.stdin.write('a');
    await expect.poll(() => ui.text()).toContain('✓ exit 0');
    const file = join(cwd, SHELL_TRUST_FILE);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ dirs: [cwd] });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    ui.unmount();
    const later = setup([], { cwd });
    await expect.poll(() => later.ui.text()).toContain('❯ ');
    later.ui.stdin.write('!echo again\r');
    await expect.poll(() => later.ui.text()).toContain('✓ exit 0');
    expect(later.ui.text()).not.toContain('run this shell command?');
  });
});

describe('Ctrl+G and Ctrl+L', () => {
  it('Ctrl+G puts what the editor saved into the prompt; the temp file is gone', async () => {
    const dir = tempDir('agentor-ui-editor-');
    const script = join(dir, 'edit.sh');
    writeFileSync(
      script,
      `#!/bin/sh\nstat -c %a "$1" > "${dir}/mode"\necho "$1" > "${dir}/path"\nprintf 'edited: %s\\n' "$(cat "$1")" > "$1"\n`,
    );
    chmodSync(script, 0o755);
    vi.stubEnv('VISUAL', script);
    onTestFinished(() => void vi.unstubAllEnvs());
    const { ui, prompt } = setup([]);
    await expect.poll(() => ui.text()).toContain('❯ ');
    ui.stdin.write('first draft');
    ui.stdin.write('\x07');
    await expect.poll(prompt).toBe('edited: first draft');
    expect(readFileSync(join(dir, 'mode'), 'utf8').trim()).toBe('600');
    expect(existsSync(readFileSync(join(dir, 'path'), 'utf8').trim())).toBe(false);
  });

  it('Ctrl+X Ctrl+E opens the editor too; Ctrl+E alone, or after Ctrl+X and another key, is end of line', async () => {
    const dir = tempDir('agentor-ui-editor-');
    const script = join(dir, 'edit.sh');
    writeFileSync(script, `#!/bin/sh\nprintf 'via ctrl-x: %s' "$(cat "$1")" > "$1"\n`);
    chmodSync(script, 0o755);
    vi.stubEnv('VISUAL', script);
    onTestFinished(() => void vi.unstubAllEnvs());
    const { ui, prompt } = setup([]);
    await expect.poll(() => ui.text()).toContain('❯ ');
    ui.stdin.write('ac\x01\x05b');
    await expect.poll(prompt).toBe('acb');
    ui.stdin.write('\x01\x18\x1b[C\x05d');
    await expect.poll(prompt).toBe('acbd');
    ui.stdin.write('\x18');
    ui.stdin.write('\x05');
    await expect.poll(prompt).toBe('via ctrl-x: acbd');
  });

  it('Ctrl+L clears the screen through the terminal and draws the prompt again', async () => {
    const clear = vi.fn();
    const screen: Screen = { clear, copy: () => undefined, print: () => undefined };
    const { ui } = setup([], { screen });
    await expect.poll(() => ui.text()).toContain('❯ ');
    ui.stdin.write('\x0c');
    await expect.poll(() => ui.screen()).toContain('screen cleared');
    expect(clear).toHaveBeenCalledTimes(1);
  });
});

describe('argument completion', () => {
  it('/resume <Tab> completes the ids of the directory’s other sessions, /save <Tab> paths', async () => {
    const store = new MemorySessionStore();
    const agents = [{ name: 'tester', model: 'scripted-1' }];
    const other = await openChatSession({ kind: 'new' }, store, agents, () => undefined);
    const opened = await openChatSession({ kind: 'new' }, store, agents, () => undefined);
    const cwd = project();
    const agent = new Agent({ name: 'tester', model: 'scripted-1', provider: new ScriptedProvider([]) });
    const ui = renderInTerminal(
      <App
        agents={[agent]}
        color={false}
        onExit={() => undefined}
        cwd={cwd}
        {...(opened.session ? { session: opened.session } : {})}
        {...(opened.switcher ? { sessions: opened.switcher } : {})}
      />,
      { columns: 100, rows: 30 },
    );
    onTestFinished(() => ui.unmount());
    const prompt = (): string => promptText(ui.screen());
    await expect.poll(() => ui.text()).toContain('❯ ');
    const id = other.session?.id ?? '';
    ui.stdin.write('/resume ');
    await expect.poll(prompt).toBe('/resume ');
    // The listing is read once "/res" is typed; Tab finishes the only other session's id.
    await expect
      .poll(() => {
        ui.stdin.write('\t');
        return prompt();
      })
      .toBe(`/resume ${id.slice(0, 8)}`);
    ui.stdin.write('\x15/save sr\t');
    await expect.poll(prompt).toBe('/save src/');
    ui.stdin.write('key\t');
    await expect.poll(() => ui.screen()).toContain('keyboard.ts  keys.ts');
  });
});
