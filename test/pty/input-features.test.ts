/**
 * The prompt's input features in a real terminal (node-pty + headless xterm, 80x24) on the built CLI, against the
 * loopback fake OpenAI server: `@path` Tab completion and the file attached on send, Ctrl+R, the /model picker fed by
 * GET /v1/models, Ctrl+G with $VISUAL set to a script, `!command` (asked about first) offered as context, and Ctrl+L keeping the
 * scrollback. One chat goes through all of them, as a person would; synchronised on screen content, never on sleeps.
 * And a one-shot run with piped text in the terminal: only the prompt's `@path` mentions attach files.
 */
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/cleanup.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';
import { cleanEnv } from '../support/cli.js';
import { BIN, startPty, type PtyTerminal } from './terminal.js';

let fake: FakeOpenAI;
let t: PtyTerminal | undefined;
beforeAll(async () => {
  fake = await startFakeOpenAI({ models: ['fake-model', 'other-model'] });
});
afterAll(async () => {
  t?.kill();
  await fake?.close();
});

/** The last request's body: its model and the content of its last user message. */
function lastRequest(): { model: string; user: string } {
  const body = fake.requests.filter((r) => r.method === 'POST').at(-1)?.body as
    { model: string; messages: Array<{ role: string; content: string }> } | undefined;
  return { model: body?.model ?? '', user: body?.messages.filter((m) => m.role === 'user').at(-1)?.content ?? '' };
}

describe('input features in a real terminal', () => {
  it('@path + Tab, Ctrl+R, /model, Ctrl+G and Ctrl+X Ctrl+E, !command, Ctrl+L', async () => {
    const dir = tempDir('agentor-pty-features-');
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'keys.ts'), 'export const KEYS = 1;\n// second line\n');
    mkdirSync(join(dir, 'node_modules'));
    const editor = join(dir, 'editor.sh');
    writeFileSync(editor, `#!/bin/sh\nprintf 'rewritten in the editor' > "$1"\n`);
    chmodSync(editor, 0o755);
    t = startPty(['chat', '--base-url', fake.url, '--model', 'fake-model'], {
      env: cleanEnv({
        EDITOR: undefined,
        XDG_CONFIG_HOME: join(dir, 'config'),
        XDG_STATE_HOME: join(dir, 'state'),
        OPENAI_API_KEY: 'test',
        TERM: 'xterm-256color',
        VISUAL: editor,
      }),
      cols: 80,
      rows: 24,
      cwd: dir,
    });
    await t.waitFor('ctrl+c twice to exit');

    // @path with Tab: completed, attached on send, shown as one line.
    fake.enqueue({ text: ['It exports KEYS.'] });
    t.write('what is in @sr');
    t.write('\t');
    await t.waitFor('❯ what is in @src/');
    t.write('k\t');
    await t.waitFor('❯ what is in @src/keys.ts');
    t.write('\r');
    await t.waitFor('It exports KEYS.');
    await t.waitFor('attached src/keys.ts (2 lines)');
    expect(lastRequest().user).toContain('<file path="src/keys.ts">\nexport const KEYS = 1;\n// second line\n</file>');
    expect(t.text()).not.toContain('// second line');

    // Ctrl+R finds it again; Esc goes back to the empty prompt.
    t.write('\x12');
    await t.waitFor('search history:');
    t.write('keys');
    await t.waitFor(/│ ❯ what is in @src\/keys\.ts/);
    t.write('\x1b');
    await t.waitFor(/│ ❯ +│/);

    // /model: the picker lists GET /v1/models; the choice is used by the next run.
    t.write('/model\r');
    await t.waitFor('other-model');
    t.write('other\r');
    await t.waitFor('model: other-model');
    fake.enqueue({ text: ['Other here.'] });
    t.write('hello\r');
    await t.waitFor('Other here.');
    expect(lastRequest().model).toBe('other-model');

    // Ctrl+G: the editor's text comes back into the prompt.
    t.write('draft');
    t.write('\x07');
    await t.waitFor('❯ rewritten in the editor');
    t.write('\x15again');
    await t.waitFor('❯ again');
    // Ctrl+X Ctrl+E, bash's binding, opens it too.
    t.write('\x18');
    t.write('\x05');
    await t.waitFor('❯ rewritten in the editor');
    t.write('\x15');

    // !command: the first one asks (n runs nothing); y runs it, its output is offered as context for the next message.
    t.write('!touch declined\r');
    await t.waitFor('⏸ run this shell command?');
    await t.waitFor('$ touch declined');
    t.write('n');
    await t.waitFor('not run · ↑ brings the command back');
    expect(existsSync(join(dir, 'declined'))).toBe(false);
    t.write('!echo from the shell\r');
    await t.waitFor('$ echo from the shell');
    t.write('y');
    await t.waitFor('✓ exit 0 · the output is in the prompt');
    await t.waitFor('[output of `echo from the shell`, 1 line]');
    fake.enqueue({ text: ['Got the output.'] });
    t.write('use it\r');
    await t.waitFor('Got the output.');
    expect(lastRequest().user).toContain(
      'Output of the shell command `echo from the shell` (exit 0):\n```\nfrom the shell\n```',
    );

    // Ctrl+L: the screen is cleared, the scrollback keeps the conversation.
    t.write('\x0c');
    await t.waitFor('screen cleared');
    expect(t.screen()).not.toContain('Got the output.');
    expect(t.text()).toContain('Got the output.');
    expect(t.raw()).not.toContain('\x1b[3J');
  });

  it("one-shot in a terminal with piped text: the prompt's @path attaches, the piped text's @mentions do not", async () => {
    const dir = tempDir('agentor-pty-piped-');
    writeFileSync(join(dir, 'notes.md'), 'the notes\n');
    writeFileSync(join(dir, 'secret.txt'), 'do not send\n');
    const diff = '+ reviewed-by: @secret.txt and @user\n';
    fake.enqueue({ text: ['Looks fine.'] });
    const requests = fake.requests.length;
    // `git diff | agentor chat "review …"`: stdin is a pipe, stdout the terminal, so the Ink one-shot view runs.
    t = startPty(['chat', '--base-url', fake.url, '--model', 'fake-model', '--no-session', 'review with @notes.md'], {
      env: cleanEnv({
        XDG_CONFIG_HOME: join(dir, 'config'),
        XDG_STATE_HOME: join(dir, 'state'),
        OPENAI_API_KEY: 'test',
      }),
      cols: 80,
      rows: 24,
      cwd: dir,
      command: ['sh', '-c', `printf '%s' '${diff}' | exec "$0" "$@"`, process.execPath, BIN],
    });
    expect((await t.exit).exitCode).toBe(0);
    expect(t.text()).toContain('Looks fine.');
    expect(t.text()).toContain('attached notes.md (1 line)');
    expect(t.text()).not.toMatch(/attached secret|secret\.txt \(/);
    expect(fake.requests.length).toBe(requests + 1);
    const { user } = lastRequest();
    expect(user).toContain('<file path="notes.md">\nthe notes\n</file>');
    expect(user).toContain(diff.trimEnd());
    expect(user).not.toContain('do not send');
  });
});
