/**
 * The approval panel for a remote agent's tool call: `agentor chat --a2a URL` in a real terminal (node-pty + headless
 * xterm, 80x24) against `agentor serve` (in process, its model the loopback fake) whose write_note needs approval. The
 * remote task goes input-required; the panel asks; `y` sends the decision back on the same task and the answer follows.
 */
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { tempDir } from '../support/cleanup.js';
import { cleanEnv } from '../support/cli.js';
import { useNoteRemote } from '../e2e/serve-support.js';
import { startPty } from './terminal.js';

const notes: string[] = [];
const { fake, remote } = useNoteRemote(notes);

/** The remote's model asks for write_note, then answers `answer`. */
function scriptNote(answer: string, text: string): void {
  fake().enqueue({ toolCalls: [{ id: 'call_1', name: 'write_note', arguments: { text } }] }, { text: answer });
}

describe('interactive chat --a2a', () => {
  it('shows the approval panel for the remote call; y sends the decision back and the answer follows', async () => {
    const dir = tempDir('agentor-a2a-approvals-');
    const t = startPty(['chat', '--a2a', remote().url], {
      env: cleanEnv({
        XDG_CONFIG_HOME: join(dir, 'config'),
        XDG_STATE_HOME: join(dir, 'state'),
        TERM: 'xterm-256color',
      }),
      cols: 80,
      rows: 24,
      cwd: dir,
    });
    onTestFinished(() => t.kill());
    await t.waitFor('❯');
    scriptNote('Noted milk.', 'milk');
    t.write('note milk\r');
    await t.waitFor('⏸ waiting for your approval: run write_note?');
    await t.waitFor('text: milk');
    await t.waitFor('the remote agent asks before it runs "write_note"');
    expect(notes).toEqual([]);
    t.write('y');
    await t.waitFor('✓ allowed write_note once');
    await t.waitFor('Noted milk.');
    expect(notes).toEqual(['milk']);
    // The remote's own call has its tool panel, marked as the remote's, finished with where it ran.
    await t.waitFor(/⚙ write_note · remote ✓/);
    await t.waitFor('→ ran on the remote agent (its output stays there)');
  });
});
