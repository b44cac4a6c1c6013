import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InputHistory } from '../../src/ui/history-store.js';
import { tempDir } from '../support/cleanup.js';

const saved = process.env['XDG_STATE_HOME'];
afterEach(() => {
  if (saved === undefined) delete process.env['XDG_STATE_HOME'];
  else process.env['XDG_STATE_HOME'] = saved;
});

describe('InputHistory', () => {
  it('defaults to history.jsonl in the XDG state dir, read at start and appended to', () => {
    const state = tempDir('agentor-state-');
    process.env['XDG_STATE_HOME'] = state;
    const first = new InputHistory();
    first.add('one');
    expect(new InputHistory().entries).toEqual(['one']);
    expect(first.path).toBe(join(state, 'agentor', 'history.jsonl'));
  });

  it('null keeps the history in memory: the default file is neither read nor written', () => {
    const state = tempDir('agentor-state-');
    process.env['XDG_STATE_HOME'] = state;
    const file = new InputHistory().path as string;
    new InputHistory().add('on disk');
    writeFileSync(file, `${JSON.stringify('on disk')}\n`);
    const memory = new InputHistory(null);
    expect(memory.entries).toEqual([]);
    memory.add('only here');
    expect(memory.entries).toEqual(['only here']);
    expect(new InputHistory().entries).toEqual(['on disk']);
    expect(readdirSync(join(state, 'agentor'))).toEqual(['history.jsonl']);
    expect(existsSync(file)).toBe(true);
  });
});
