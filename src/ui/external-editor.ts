/**
 * Ctrl+G: the prompt's text in the user's editor (`$VISUAL`, else `$EDITOR`, else `vi`), as git and shells do it. The
 * text goes to a private temp file (mode 0600, in a directory of its own, removed afterwards), the editor gets the
 * terminal while the chat stops reading keys, and what the file holds when the editor exits comes back into the
 * prompt (without the final line break editors add). An editor that fails leaves the prompt as it was.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The editor command line, as the environment names it. */
export function editorCommand(env: NodeJS.ProcessEnv): string {
  return env['VISUAL']?.trim() || env['EDITOR']?.trim() || 'vi';
}

/** What the editor left: the new text, or why there is none. */
export type EditorResult = { text: string } | { error: string };

/**
 * Opens `text` in the editor and returns when it exits. The command is run by the shell, so `EDITOR="code --wait"`
 * works; the file's path is passed as an argument, never spliced into the command. It runs synchronously: while the
 * editor owns the terminal this process reads nothing from it (no key is taken from the editor) and draws nothing.
 */
export function editInEditor(text: string, env: NodeJS.ProcessEnv = process.env): EditorResult {
  const dir = mkdtempSync(join(tmpdir(), 'agentor-prompt-'));
  const file = join(dir, 'prompt.md');
  const command = editorCommand(env);
  try {
    writeFileSync(file, text, { mode: 0o600 });
    const run = spawnSync('/bin/sh', ['-c', `${command} "$1"`, 'agentor-editor', file], { stdio: 'inherit', env });
    if (run.error) return { error: `could not start ${command}: ${run.error.message}` };
    if (run.status !== 0) {
      const how = run.signal ?? `code ${run.status}`;
      const hint = run.status === 127 ? ' (is it installed? set $VISUAL or $EDITOR)' : '';
      return { error: `${command} exited with ${how}: the prompt is unchanged${hint}` };
    }
    return { text: readFileSync(file, 'utf8').replace(/\r\n/g, '\n').replace(/\n$/, '') };
  } catch (e) {
    return { error: `the editor could not be used (${(e as Error).message})` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
