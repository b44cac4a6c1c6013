/** The server's registry of running runs: one signal per run, composed from the client's and the server's causes. */
import { describe, expect, it } from 'vitest';
import { RunRegistry } from '../../src/server/context.js';

describe('RunRegistry', () => {
  it("a run's signal follows its client's signal, with the client's reason", () => {
    const runs = new RunRegistry();
    const client = new AbortController();
    const run = runs.start(client.signal);
    expect(run.signal.aborted).toBe(false);
    client.abort(new Error('the client disconnected'));
    expect(run.signal.reason).toMatchObject({ message: 'the client disconnected' });
    run.done();
  });

  it('abort() ends one run; abortAll() ends every run and every later one; waitIdle() resolves when all are done', async () => {
    const runs = new RunRegistry();
    const a = runs.start();
    const b = runs.start(new AbortController().signal);
    a.abort(new Error('cancelled by the client'));
    expect([a.signal.aborted, b.signal.aborted]).toEqual([true, false]);
    runs.abortAll(new Error('the server is shutting down'));
    expect(b.signal.reason).toMatchObject({ message: 'the server is shutting down' });
    expect(runs.start().signal.aborted).toBe(true);
    const idle = runs.waitIdle(10_000);
    expect(runs.size).toBe(3);
    for (const r of [a, b]) r.done();
    expect(runs.size).toBe(1);
    expect(await Promise.race([idle, Promise.resolve('pending')])).toBe('pending');
  });

  it('waitIdle() resolves true once the last run is done', async () => {
    const runs = new RunRegistry();
    const run = runs.start();
    const idle = runs.waitIdle(10_000);
    run.done();
    run.done(); // idempotent
    expect(await idle).toBe(true);
    expect(runs.size).toBe(0);
  });
});
