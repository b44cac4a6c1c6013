import { describe, expect, it } from 'vitest';
import type { EventPayload, RunStatus } from '../../src/core/events.js';
import type { RunObserver } from '../../src/core/observer.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { parsePrometheusText, sampleValue, samplesOf } from '../support/prom-text.js';

/** Feeds a scripted run into an observer the way the turn loop does: events, and a model call around each turn. */
class ScriptedRun {
  private seq = 0;
  private ts = 1_000;
  constructor(
    private readonly observer: RunObserver,
    private readonly agent = 'helper',
  ) {}
  at(ms: number): this {
    this.ts = 1_000 + ms;
    return this;
  }
  emit(payload: EventPayload): this {
    const e = { ...payload, run_id: 'run_1', seq: this.seq++, ts: this.ts, agent: this.agent };
    this.observer.event?.(e);
    return this;
  }
  modelCall(during: (run: this) => void, error?: { code: string }): this {
    const watch = this.observer.modelCall?.({ turn: 1, model: 'm', provider: 'openai', messages: [] });
    during(this);
    watch?.end({
      text: '',
      toolCalls: [],
      aborted: false,
      ...(error ? { error: { message: 'x', code: error.code, retryable: false } } : {}),
    });
    return this;
  }
  end(status: RunStatus, durationMs: number, input = 0, output = 0): this {
    return this.emit({
      type: 'run_end',
      status,
      text: '',
      usage: { input_tokens: input, output_tokens: output, total_tokens: input + output },
      duration_ms: durationMs,
    });
  }
}

const start = { type: 'run_start', model: 'm', input: 'secret user text' } as const;

describe('metrics: a fold over run events', () => {
  it('counts runs, tokens, first-token latency, tools and upstream failures exactly', async () => {
    const metrics = await createMetrics({ processMetrics: false, version: '1.2.3' });
    const tools = new Set(['calculator']);
    new ScriptedRun(metrics.observeRun({ protocol: 'chat', tools }))
      .emit(start)
      .modelCall((r) =>
        r.at(300).emit({ type: 'text_delta', text: 'hi', turn: 1 }).emit({ type: 'text_delta', text: '!', turn: 1 }),
      )
      .end('completed', 800, 12, 5);
    new ScriptedRun(metrics.observeRun({ protocol: 'ws', tools }))
      .emit(start)
      .modelCall(
        (r) =>
          r.emit({
            type: 'error',
            error: { message: 'upstream answered 503; retrying', code: '503', retryable: true },
          }),
        { code: 'server_error' },
      )
      .end('failed', 2_500);
    new ScriptedRun(metrics.observeRun({ protocol: 'chat', tools }))
      .emit(start)
      // An MCP notice arrives between model calls: it is no upstream retry.
      .emit({ type: 'error', error: { message: 'MCP server "fs" is down', code: 'mcp_down', retryable: true } })
      .modelCall(() => undefined)
      .emit({ type: 'tool_call', call_id: 'c1', name: 'calculator', args: {}, turn: 1 })
      .emit({ type: 'tool_call', call_id: 'c2', name: 'made_up_tool', args: {}, turn: 1 })
      .emit({
        type: 'tool_result',
        call_id: 'c1',
        name: 'calculator',
        result: 'Error: x',
        is_error: true,
        duration_ms: 40,
        turn: 1,
      })
      .emit({
        type: 'tool_result',
        call_id: 'c2',
        name: 'made_up_tool',
        result: 'Error: unknown',
        is_error: true,
        duration_ms: 0,
        turn: 1,
      })
      .end('cancelled', 100, 3, 0);
    const open = new ScriptedRun(metrics.observeRun({ protocol: 'a2a', tools })).emit(start);

    const text = await metrics.render();
    const m = parsePrometheusText(text);
    expect(sampleValue(m, 'agentor_runs_total', { agent: 'helper', status: 'completed', protocol: 'chat' })).toBe(1);
    expect(sampleValue(m, 'agentor_runs_total', { agent: 'helper', status: 'failed', protocol: 'ws' })).toBe(1);
    expect(sampleValue(m, 'agentor_runs_total', { agent: 'helper', status: 'cancelled', protocol: 'chat' })).toBe(1);
    expect(samplesOf(m, 'agentor_runs_total').reduce((n, s) => n + s.value, 0)).toBe(3);
    expect(sampleValue(m, 'agentor_active_runs', { agent: 'helper' })).toBe(1);
    expect(sampleValue(m, 'agentor_run_duration_seconds_count', { agent: 'helper', status: 'completed' })).toBe(1);
    expect(sampleValue(m, 'agentor_run_duration_seconds_sum', { agent: 'helper', status: 'failed' })).toBe(2.5);
    expect(sampleValue(m, 'agentor_run_duration_seconds_bucket', { status: 'completed', le: '0.5' })).toBe(0);
    expect(sampleValue(m, 'agentor_run_duration_seconds_bucket', { status: 'completed', le: '1' })).toBe(1);
    expect(sampleValue(m, 'agentor_time_to_first_token_seconds_count', { agent: 'helper' })).toBe(1);
    expect(sampleValue(m, 'agentor_time_to_first_token_seconds_sum', { agent: 'helper' })).toBe(0.3);
    expect(sampleValue(m, 'agentor_tokens_total', { agent: 'helper', direction: 'input' })).toBe(15);
    expect(sampleValue(m, 'agentor_tokens_total', { agent: 'helper', direction: 'output' })).toBe(5);
    expect(sampleValue(m, 'agentor_tool_calls_total', { tool: 'calculator', status: 'error' })).toBe(1);
    expect(sampleValue(m, 'agentor_tool_calls_total', { tool: 'unknown', status: 'error' })).toBe(1);
    expect(sampleValue(m, 'agentor_tool_call_duration_seconds_count', { tool: 'calculator' })).toBe(1);
    expect(sampleValue(m, 'agentor_upstream_errors_total', { code: 'server_error' })).toBe(1);
    expect(sampleValue(m, 'agentor_upstream_retries_total', { code: '503' })).toBe(1);
    expect(samplesOf(m, 'agentor_upstream_retries_total')).toHaveLength(1);
    expect(sampleValue(m, 'agentor_build_info', { version: '1.2.3' })).toBe(1);
    expect(text).not.toContain('secret user text');
    expect(text).not.toContain('run_1');
    expect(text).not.toContain('made_up_tool');

    open.end('completed', 10);
    const after = parsePrometheusText(await metrics.render());
    expect(sampleValue(after, 'agentor_active_runs', { agent: 'helper' })).toBe(0);
  });

  it('records HTTP requests by route template and MCP servers at scrape time, and exports process metrics', async () => {
    const metrics = await createMetrics();
    metrics.observeRequest('/chat', 'post', 200, 0.02);
    metrics.observeRequest('/chat', 'POST', 200, 3);
    metrics.observeRequest('/v1/chat/completions', 'POST', 401, 0.001);
    let servers = [
      { name: 'fs', up: true },
      { name: 'web', up: false },
    ];
    metrics.watchMcpServers(() => servers);
    let m = parsePrometheusText(await metrics.render());
    expect(sampleValue(m, 'agentor_http_requests_total', { route: '/chat', method: 'POST', status: '200' })).toBe(2);
    expect(sampleValue(m, 'agentor_http_request_duration_seconds_count', { route: '/chat', method: 'POST' })).toBe(2);
    expect(
      sampleValue(m, 'agentor_http_requests_total', { route: '/v1/chat/completions', method: 'POST', status: '401' }),
    ).toBe(1);
    expect(sampleValue(m, 'agentor_mcp_servers_up')).toBe(1);
    expect(sampleValue(m, 'agentor_mcp_servers')).toBe(2);
    expect(sampleValue(m, 'agentor_mcp_server_up', { server: 'web' })).toBe(0);
    expect(m.get('process_cpu_seconds_total')?.type).toBe('counter');
    expect(m.get('nodejs_heap_size_used_bytes')?.type).toBe('gauge');
    servers = [{ name: 'fs', up: true }];
    m = parsePrometheusText(await metrics.render());
    expect(sampleValue(m, 'agentor_mcp_servers_up')).toBe(1);
    expect(samplesOf(m, 'agentor_mcp_server_up').map((s) => s.labels['server'])).toEqual(['fs']);
    expect(metrics.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('keeps label values bounded: odd or too many distinct values become "other"', async () => {
    const metrics = await createMetrics({ processMetrics: false });
    metrics.observeRequest('/chat?x=1 2', 'POST', 200, 0.1);
    for (let i = 0; i < 100; i++) metrics.observeRequest(`/r${i}`, 'GET', 404, 0.1);
    const m = parsePrometheusText(await metrics.render());
    const routes = new Set(samplesOf(m, 'agentor_http_requests_total').map((s) => s.labels['route']));
    expect(routes.size).toBeLessThanOrEqual(65);
    expect(routes.has('other')).toBe(true);
    expect(routes.has('/chat?x=1 2')).toBe(false);
  });
});

describe('the strict Prometheus text parser', () => {
  const ok = '# HELP a_total A.\n# TYPE a_total counter\na_total{x="1"} 2\n';
  it('reads a well-formed exposition', () => {
    expect(sampleValue(parsePrometheusText(ok), 'a_total', { x: '1' })).toBe(2);
  });
  it.each([
    ['no final newline', ok.trimEnd()],
    ['a bad escape', '# TYPE a gauge\na{x="\\q"} 1\n'],
    ['an unquoted label', '# TYPE a gauge\na{x=1} 1\n'],
    ['a bad value', '# TYPE a gauge\na 1,5\n'],
    ['split samples', '# TYPE a gauge\na{x="1"} 1\n# TYPE b gauge\nb 1\na{x="2"} 1\n'],
    ['a duplicate series', '# TYPE a gauge\na{x="1"} 1\na{x="1"} 2\n'],
    ['a negative counter', '# TYPE a_total counter\na_total -1\n'],
    [
      'buckets that are not cumulative',
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
    ],
    ['a missing +Inf bucket', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n'],
    ['+Inf that is not _count', '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 1\n'],
  ])('rejects %s', (_why, text) => {
    expect(() => parsePrometheusText(text)).toThrow(/prometheus text|histogram/);
  });
});
