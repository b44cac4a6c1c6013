/**
 * How a session records a run: each event as the run makes it, as the line `--json` prints, written in bounded slices
 * in order; a store that keeps objects gets the records themselves; a record JSON cannot hold stops the log, not the run.
 */
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Agent } from '../../src/core/agent.js';
import type { AgentEvent } from '../../src/core/events.js';
import { eventJson } from '../../src/core/event-json.js';
import type { InputMessage } from '../../src/core/run.js';
import { FileSessionStore } from '../../src/core/sessions/file-store.js';
import { MemorySessionStore } from '../../src/core/sessions/memory-store.js';
import { Session } from '../../src/core/sessions/session.js';
import { collect } from '../../src/core/stream.js';
import { renderJson } from '../../src/render/json.js';
import { tempDir } from '../support/cleanup.js';
import { FakeProvider } from '../support/fake-provider.js';

const AGENTS = [{ name: 'assistant', model: 'm' }];
/** 3,000 deltas of one network read: one turn of the event loop, ~400 KB of log. */
const TOKENS = Array.from({ length: 3000 }, (_, i) => `token-${i} `);

/** A file store whose appendLines calls are counted (sizes in characters). */
function countingStore(dir: string): { store: FileSessionStore; slices: number[] } {
  const store = new FileSessionStore(dir);
  const slices: number[] = [];
  const appendLines = store.appendLines.bind(store);
  store.appendLines = (id, lines) => {
    slices.push(lines.reduce((n, l) => n + l.length + 1, 0));
    return appendLines(id, lines);
  };
  return { store, slices };
}

describe('session recording', () => {
  it('the log holds the lines --json printed, byte for byte, written in bounded slices in order', async () => {
    const { store, slices } = countingStore(tempDir());
    const session = await Session.create({ agents: AGENTS }, { store });
    const agent = new Agent({
      name: 'assistant',
      model: 'm',
      provider: new FakeProvider({ text: TOKENS, batch: true }),
    });
    const out = new PassThrough();
    const printed: Buffer[] = [];
    out.on('data', (d: Buffer) => printed.push(d));
    await renderJson(agent.streamChat('hi', { session }), out);
    await session.close();

    const stdout = Buffer.concat(printed).toString('utf8');
    const log = readFileSync(store.path(session.id), 'utf8').split('\n');
    expect(JSON.parse(log[1] as string)).toMatchObject({ type: 'user', text: 'hi' });
    expect(log.slice(2).join('\n')).toBe(stdout);
    expect(stdout.split('\n').filter((l) => l.includes('"text_delta"'))).toHaveLength(TOKENS.length);
    // one event-loop turn's thousands of events were written in several slices: 64 KB at most, and the line that
    // crossed it
    const longest = Math.max(...stdout.split('\n').map((l) => l.length + 1));
    expect(slices.length).toBeGreaterThan(4);
    for (const size of slices) expect(size).toBeLessThan(64 * 1024 + longest);
    await store.close();
  });

  it('records each event as the run makes it, in the order the run yields them', async () => {
    const store = new FileSessionStore(tempDir());
    const session = await Session.create({ agents: AGENTS }, { store });
    const agent = new Agent({ name: 'assistant', model: 'm', provider: new FakeProvider({ text: ['a', 'b'] }) });
    const seen: Array<{ event: AgentEvent; line: string }> = [];
    for await (const event of agent.streamChat('hi', { session })) seen.push({ event, line: eventJson(event) });
    await session.close();
    const log = readFileSync(store.path(session.id), 'utf8').trimEnd().split('\n').slice(2);
    expect(log).toEqual(seen.map((s) => s.line));
    expect(seen.map((s) => s.event.type)).toEqual(['run_start', 'text_delta', 'text_delta', 'message', 'run_end']);
    await store.close();
  });

  it('a store that keeps objects gets the records themselves, the session totals still counted', async () => {
    const store = new MemorySessionStore();
    const session = await Session.create({ agents: AGENTS }, { store });
    const agent = new Agent({
      name: 'assistant',
      model: 'm',
      provider: new FakeProvider({ text: ['x', 'y'], usage: { input_tokens: 7, output_tokens: 2, total_tokens: 9 } }),
    });
    const events = await collect(agent.streamChat('hi', { session }));
    await session.close();
    const loaded = await store.load(session.id);
    expect(loaded?.records.slice(1)).toEqual(events);
    expect(session.usage).toEqual({ input_tokens: 7, output_tokens: 2, total_tokens: 9 });
    expect(session.contextOf('assistant')).toBe(7);
  });

  it('a record JSON cannot hold stops the log with one warning; the run goes on and ends', async () => {
    const store = new FileSessionStore(tempDir());
    const warnings: string[] = [];
    const session = await Session.create({ agents: AGENTS }, { store, onWarning: (m) => warnings.push(m) });
    const agent = new Agent({ name: 'assistant', model: 'm', provider: new FakeProvider({ text: ['fine'] }) });
    // An image part whose width is a BigInt: the run takes it (the fake provider reads text), JSON cannot hold it.
    const image = { type: 'image', mime: 'image/png', data: '', name: 'x.png', width: 1n, height: 1 };
    const input = [{ role: 'user', content: [{ type: 'text', text: 'hi' }, image] }] as unknown as InputMessage[];
    const events = await collect(agent.streamChat(input, { session }));
    await session.close();
    expect(events.at(-1)).toMatchObject({ type: 'run_end', status: 'completed', text: 'fine' });
    expect(warnings).toEqual([expect.stringMatching(/^the session is not being saved any more: .*BigInt/)]);
    expect(session.saving).toBe(false);
    await store.close();
  });
});
