import { describe, expect, it } from 'vitest';
import { createLogger, parseLogFormat, parseLogLevel, type LogSink } from '../../src/observability/log.js';
import { isValidRequestId, requestIdFor } from '../../src/observability/request-id.js';

function sink(isTTY = false): LogSink & { lines: string[] } {
  const lines: string[] = [];
  return {
    isTTY,
    lines,
    write: (line: string) => {
      expect(line.endsWith('\n')).toBe(true);
      expect(line.slice(0, -1)).not.toContain('\n');
      lines.push(line.slice(0, -1));
    },
  };
}

describe('structured logs', () => {
  it('writes one JSON object per line when the sink is not a terminal', () => {
    const out = sink(false);
    const log = createLogger({ name: 'agentor serve', sink: out });
    expect(log.format).toBe('json');
    log.info('request', { request_id: 'abc', route: '/chat', status: 200, duration_ms: 12.5, skipped: undefined });
    const record = JSON.parse(out.lines[0] as string) as Record<string, unknown>;
    expect(record).toMatchObject({ level: 'info', msg: 'request', request_id: 'abc', route: '/chat', status: 200 });
    expect(Number.isNaN(Date.parse(record['time'] as string))).toBe(false);
    expect('skipped' in record).toBe(false);
  });

  it('writes `name: message key=value` for a person at a terminal, escaping what could drive it', () => {
    const out = sink(true);
    const log = createLogger({ name: 'agentor serve', sink: out });
    expect(log.format).toBe('text');
    log.info('request', { route: '/chat', status: 200, agent: 'my agent' });
    log.warn('evil\x1b[2Jname', { note: 'a\x1b]0;x\x07' });
    expect(out.lines[0]).toBe('agentor serve: request route=/chat status=200 agent="my agent"');
    expect(out.lines[1]).not.toContain('\x1b');
    expect(out.lines[1]).toMatch(/^agentor serve: warning: evil\\u001b\[2Jname note="a\\u001b\]0;x\\u0007"$/);
  });

  it('drops records below the level; fields cannot overwrite time, level or msg', () => {
    const out = sink(false);
    const log = createLogger({ name: 'x', sink: out, level: 'warn', format: 'json' });
    log.debug('d');
    log.info('i');
    log.warn('w', { level: 'fake', msg: 'fake' });
    log.error('e');
    expect(out.lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['w', 'e']);
    expect(JSON.parse(out.lines[0] as string)).toMatchObject({ level: 'warn', msg: 'w' });
    expect(log.enabled('info')).toBe(false);
  });

  it('parses --log-level and --log-format, naming the accepted values on a mistake', () => {
    expect(parseLogLevel('WARNING')).toBe('warn');
    expect(parseLogFormat(' JSON ')).toBe('json');
    expect(() => parseLogLevel('verbose')).toThrow('unknown log level "verbose" (use debug, info, warn, error)');
    expect(() => parseLogFormat('yaml')).toThrow('unknown log format "yaml" (use json or text)');
  });
});

describe('request ids', () => {
  it('keeps a plausible x-request-id and replaces anything else with a fresh UUID', () => {
    expect(requestIdFor('abc-123_XYZ.9')).toBe('abc-123_XYZ.9');
    expect(requestIdFor(' 0f8fad5b-d9cb-469f-a165-70867728950e ')).toBe('0f8fad5b-d9cb-469f-a165-70867728950e');
    for (const bad of ['', 'has space', 'x'.repeat(129), 'new\nline', '"quoted"', 'ünï', '<script>']) {
      expect(isValidRequestId(bad)).toBe(false);
      expect(requestIdFor(bad)).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(requestIdFor(undefined)).not.toBe(requestIdFor(undefined));
    expect(requestIdFor(['a', 'b'])).toMatch(/^[0-9a-f-]{36}$/);
  });
});
