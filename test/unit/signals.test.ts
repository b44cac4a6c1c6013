import { afterEach, describe, expect, it, vi } from 'vitest';
import { InterruptError, interruptOnSignals, signalExitCode, type SignalScope } from '../../src/core/signals.js';

const open: SignalScope[] = [];
const scope = (...args: Parameters<typeof interruptOnSignals>): SignalScope => {
  const s = interruptOnSignals(...args);
  open.push(s);
  return s;
};
afterEach(() => {
  for (const s of open.splice(0)) s.release();
  vi.restoreAllMocks();
});

describe('interruptOnSignals', () => {
  it('maps signals to the shell convention: 128 + their number', () => {
    expect([signalExitCode('SIGHUP'), signalExitCode('SIGINT'), signalExitCode('SIGTERM')]).toEqual([129, 130, 143]);
  });

  it('the first signal aborts every open scope, naming the signal; exit codes follow it', () => {
    const seen: string[] = [];
    const a = scope({ onSignal: (s) => seen.push(s) });
    const b = scope();
    expect(a.exitCode(0)).toBe(0);
    process.emit('SIGTERM', 'SIGTERM');
    expect(a.signal.aborted && b.signal.aborted).toBe(true);
    expect(a.signal.reason).toBeInstanceOf(InterruptError);
    expect((a.signal.reason as InterruptError).signal).toBe('SIGTERM');
    expect([a.received, b.received]).toEqual(['SIGTERM', 'SIGTERM']);
    expect(a.exitCode(0)).toBe(143);
    expect(seen).toEqual(['SIGTERM']);
  });

  it('a scope opened while an interrupt is being handled starts interrupted', () => {
    const a = scope();
    process.emit('SIGHUP', 'SIGHUP');
    const late = scope();
    expect(a.received).toBe('SIGHUP');
    expect(late.signal.aborted).toBe(true);
    expect(late.exitCode(1)).toBe(129);
  });

  it('a second signal exits at once with its code', () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    scope();
    process.emit('SIGINT', 'SIGINT');
    expect(exit).not.toHaveBeenCalled();
    process.emit('SIGINT', 'SIGINT');
    expect(exit).toHaveBeenCalledWith(130);
  });

  it('listens only while a scope is open, and starts afresh after the last one is released', () => {
    const before = process.listenerCount('SIGINT');
    const a = scope();
    const b = scope();
    expect(process.listenerCount('SIGINT')).toBe(before + 1);
    process.emit('SIGINT', 'SIGINT');
    a.release();
    b.release();
    expect(process.listenerCount('SIGINT')).toBe(before);
    const fresh = scope();
    expect(fresh.signal.aborted).toBe(false);
  });
});
