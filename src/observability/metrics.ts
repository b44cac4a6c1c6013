/**
 * Prometheus metrics of a served agent. A run's metrics are a fold over its AgentEvents (plus the model-call boundary,
 * which tells an upstream retry from any other notice); HTTP requests and MCP servers are recorded by the server.
 * Every label value is bounded: agent and tool names, route templates, status words and error codes, never a run id
 * or user text. prom-client is imported only when metrics are created (`agentor serve`), never on the chat path.
 */
import type { Counter, Gauge, Histogram } from 'prom-client';
import type { AgentEvent, RunEndEvent, ToolApprovalEvent, ToolResultEvent } from '../core/events.js';
import type { ModelCallEnd, ModelCallWatch, RunObserver } from '../core/observer.js';

/** Options of `createMetrics`. */
export interface MetricsOptions {
  /** Also export Node's default process metrics (CPU, memory, event loop, GC); default true. */
  processMetrics?: boolean;
  /** agentor's version, exported as `agentor_build_info{version}`. */
  version?: string;
}

/** The state of one MCP server, as its health check reports it. */
export interface McpServerState {
  name: string;
  up: boolean;
}

/** Options of one run's observer. */
export interface RunMetricsOptions {
  /** How the run was asked for: "chat" (SSE/JSON /chat), "ws", "a2a", "openai", "cli". */
  protocol: string;
  /** The tools the agent offers: a call to any other name (the model made it up) is counted as "unknown". */
  tools?: { has(name: string): boolean };
}

/** The metrics of one server (or one process): observers for runs, a recorder for requests, the text for a scrape. */
export interface AgentMetrics {
  /** A fold over one run's events; give it to the run as its observer. */
  observeRun(options: RunMetricsOptions): RunObserver;
  /** Records one HTTP request when its response is finished (or the client left). */
  observeRequest(route: string, method: string, status: number, seconds: number): void;
  /** Reads the MCP servers' state at every scrape. */
  watchMcpServers(read: () => readonly McpServerState[]): void;
  /** The Prometheus text exposition of every metric. */
  render(): Promise<string>;
  /** The Content-Type of `render()`'s text. */
  readonly contentType: string;
}

const SECONDS = 1000;
const RUN_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600];
const TTFT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 20];
const TOOL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const APPROVAL_BUCKETS = [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** Label values another source could make unbounded are capped: past this many distinct values, "other". */
const MAX_DISTINCT = 64;
const LABEL_SAFE = /^[\w.:/-]{1,64}$/;

/** Keeps a label's set of values bounded: well-formed values up to a limit, then "other". */
class BoundedLabel {
  private readonly seen = new Set<string>();
  constructor(private readonly limit = MAX_DISTINCT) {}
  value(raw: string | undefined, fallback = 'unknown'): string {
    if (!raw) return fallback;
    if (this.seen.has(raw)) return raw;
    if (!LABEL_SAFE.test(raw) || this.seen.size >= this.limit) return 'other';
    this.seen.add(raw);
    return raw;
  }
}

interface Instruments {
  runs: Counter<'agent' | 'status' | 'protocol'>;
  runDuration: Histogram<'agent' | 'status'>;
  ttft: Histogram<'agent'>;
  tokens: Counter<'agent' | 'direction'>;
  activeRuns: Gauge<'agent'>;
  toolCalls: Counter<'tool' | 'status'>;
  toolDuration: Histogram<'tool'>;
  upstreamErrors: Counter<'code'>;
  upstreamRetries: Counter<'code'>;
  approvalRequests: Counter<'tool'>;
  approvals: Counter<'tool' | 'decision' | 'by'>;
  approvalWait: Histogram<'decision' | 'by'>;
  httpRequests: Counter<'route' | 'method' | 'status'>;
  httpDuration: Histogram<'route' | 'method'>;
}

/** A CommonJS package's exports, whether the loader put them on the namespace (Node) or only on `default` (the bundle). */
function commonJs<T extends object>(namespace: T): T {
  return (namespace as { default?: T }).default ?? namespace;
}

/** Creates a registry with agentor's metrics (and Node's process metrics unless turned off). */
export async function createMetrics(options: MetricsOptions = {}): Promise<AgentMetrics> {
  const prom = commonJs(await import('prom-client'));
  const registry = new prom.Registry();
  if (options.processMetrics !== false) prom.collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const i: Instruments = {
    runs: new prom.Counter({
      name: 'agentor_runs_total',
      help: 'Agent runs finished, by how they ended and the protocol that asked for them.',
      labelNames: ['agent', 'status', 'protocol'],
      registers,
    }),
    runDuration: new prom.Histogram({
      name: 'agentor_run_duration_seconds',
      help: 'Wall time of a run, from run_start to run_end.',
      labelNames: ['agent', 'status'],
      buckets: RUN_BUCKETS,
      registers,
    }),
    ttft: new prom.Histogram({
      name: 'agentor_time_to_first_token_seconds',
      help: 'Time from run_start to the first text delta of the answer.',
      labelNames: ['agent'],
      buckets: TTFT_BUCKETS,
      registers,
    }),
    tokens: new prom.Counter({
      name: 'agentor_tokens_total',
      help: 'Model tokens used by finished runs (as the provider reported them, estimated when a stream was cut short).',
      labelNames: ['agent', 'direction'],
      registers,
    }),
    activeRuns: new prom.Gauge({
      name: 'agentor_active_runs',
      help: 'Runs in flight.',
      labelNames: ['agent'],
      registers,
    }),
    toolCalls: new prom.Counter({
      name: 'agentor_tool_calls_total',
      help: 'Tool calls finished, by tool and outcome (ok or error).',
      labelNames: ['tool', 'status'],
      registers,
    }),
    toolDuration: new prom.Histogram({
      name: 'agentor_tool_call_duration_seconds',
      help: 'Duration of a tool call.',
      labelNames: ['tool'],
      buckets: TOOL_BUCKETS,
      registers,
    }),
    upstreamErrors: new prom.Counter({
      name: 'agentor_upstream_errors_total',
      help: 'Model calls that failed (after any retries), by error code.',
      labelNames: ['code'],
      registers,
    }),
    upstreamRetries: new prom.Counter({
      name: 'agentor_upstream_retries_total',
      help: 'Model requests retried (rate limits, server errors, connection failures), by the cause.',
      labelNames: ['code'],
      registers,
    }),
    approvalRequests: new prom.Counter({
      name: 'agentor_tool_approval_requests_total',
      help: 'Tool calls that waited for someone to approve them, by tool.',
      labelNames: ['tool'],
      registers,
    }),
    approvals: new prom.Counter({
      name: 'agentor_tool_approvals_total',
      help: 'Approval outcomes of tool calls that were not run automatically: allowed or denied, by the user or by the policy (a timeout, no one to ask, a deny rule).',
      labelNames: ['tool', 'decision', 'by'],
      registers,
    }),
    approvalWait: new prom.Histogram({
      name: 'agentor_tool_approval_wait_seconds',
      help: 'Time a tool call waited for its approval, from the request to the answer.',
      labelNames: ['decision', 'by'],
      buckets: APPROVAL_BUCKETS,
      registers,
    }),
    httpRequests: new prom.Counter({
      name: 'agentor_http_requests_total',
      help: 'HTTP requests answered, by route template, method and status.',
      labelNames: ['route', 'method', 'status'],
      registers,
    }),
    httpDuration: new prom.Histogram({
      name: 'agentor_http_request_duration_seconds',
      help: 'Time from a request to the end of its response (a stream counts until it ends).',
      labelNames: ['route', 'method'],
      buckets: HTTP_BUCKETS,
      registers,
    }),
  };
  if (options.version !== undefined) {
    new prom.Gauge({
      name: 'agentor_build_info',
      help: 'Always 1; the version label says which agentor is running.',
      labelNames: ['version'],
      registers,
    }).set({ version: options.version }, 1);
  }

  const labels = {
    agent: new BoundedLabel(),
    tool: new BoundedLabel(),
    code: new BoundedLabel(),
    route: new BoundedLabel(),
    method: new BoundedLabel(16),
    protocol: new BoundedLabel(16),
    server: new BoundedLabel(),
  };
  let mcpRead: (() => readonly McpServerState[]) | undefined;
  new prom.Gauge({
    name: 'agentor_mcp_servers_up',
    help: 'MCP servers connected and answering.',
    registers,
    collect() {
      this.set(mcpRead ? mcpRead().filter((s) => s.up).length : 0);
    },
  });
  new prom.Gauge({
    name: 'agentor_mcp_servers',
    help: 'MCP servers configured.',
    registers,
    collect() {
      this.set(mcpRead ? mcpRead().length : 0);
    },
  });
  new prom.Gauge({
    name: 'agentor_mcp_server_up',
    help: '1 while the named MCP server is connected, 0 while it is down or restarting.',
    labelNames: ['server'],
    registers,
    collect() {
      if (!mcpRead) return;
      this.reset();
      for (const s of mcpRead()) this.set({ server: labels.server.value(s.name) }, s.up ? 1 : 0);
    },
  });

  return {
    observeRun: (opts) => new RunFold(i, labels, labels.protocol.value(opts.protocol), opts.tools),
    observeRequest: (route, method, status, seconds) => {
      const r = labels.route.value(route, 'other');
      const m = labels.method.value(method.toUpperCase(), 'other');
      i.httpRequests.inc({ route: r, method: m, status: String(status) });
      i.httpDuration.observe({ route: r, method: m }, seconds);
    },
    watchMcpServers: (read) => {
      mcpRead = read;
    },
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}

/** One run's metrics: active while between run_start and run_end, the first text delta's latency, tools, the end. */
class RunFold implements RunObserver {
  private started = 0;
  private agent = '';
  private answered = false;
  private running = false;
  private inModelCall = false;
  /** When each pending approval was asked for, by call id. */
  private asked: Map<string, number> | undefined;

  constructor(
    private readonly i: Instruments,
    private readonly labels: Record<'agent' | 'tool' | 'code', BoundedLabel>,
    private readonly protocol: string,
    private readonly tools: { has(name: string): boolean } | undefined,
  ) {}

  event(e: AgentEvent): void {
    switch (e.type) {
      case 'text_delta':
        if (this.answered || !this.running) return;
        this.answered = true;
        this.i.ttft.observe({ agent: this.agent }, Math.max(0, e.ts - this.started) / SECONDS);
        return;
      case 'run_start':
        this.started = e.ts;
        this.agent = this.labels.agent.value(e.agent);
        this.running = true;
        this.i.activeRuns.inc({ agent: this.agent });
        return;
      case 'tool_result':
        this.toolResult(e);
        return;
      case 'error':
        // A notice during a model call is the provider announcing a retry; other notices (MCP) are not upstream's.
        if (this.inModelCall) this.i.upstreamRetries.inc({ code: this.labels.code.value(e.error.code) });
        return;
      case 'run_end':
        this.runEnd(e);
        return;
      case 'tool_approval_request':
        (this.asked ??= new Map()).set(e.call_id, e.ts);
        this.i.approvalRequests.inc({ tool: this.toolLabel(e.name) });
        return;
      case 'tool_approval':
        this.approval(e);
        return;
      case 'reasoning_delta':
      case 'tool_call':
      case 'message':
        return;
    }
  }

  modelCall(): ModelCallWatch {
    this.inModelCall = true;
    return {
      end: (result: ModelCallEnd) => {
        this.inModelCall = false;
        if (result.error) this.i.upstreamErrors.inc({ code: this.labels.code.value(result.error.code) });
      },
    };
  }

  private toolLabel(name: string): string {
    return this.tools && !this.tools.has(name) ? 'unknown' : this.labels.tool.value(name);
  }

  private approval(e: ToolApprovalEvent): void {
    this.i.approvals.inc({ tool: this.toolLabel(e.name), decision: e.decision, by: e.by });
    const asked = this.asked?.get(e.call_id);
    if (asked === undefined) return; // decided by the policy without asking anyone
    this.asked?.delete(e.call_id);
    this.i.approvalWait.observe({ decision: e.decision, by: e.by }, Math.max(0, e.ts - asked) / SECONDS);
  }

  private toolResult(e: ToolResultEvent): void {
    const tool = this.toolLabel(e.name);
    this.i.toolCalls.inc({ tool, status: e.is_error ? 'error' : 'ok' });
    this.i.toolDuration.observe({ tool }, e.duration_ms / SECONDS);
  }

  private runEnd(e: RunEndEvent): void {
    const agent = this.running ? this.agent : this.labels.agent.value(e.agent);
    if (this.running) this.i.activeRuns.dec({ agent });
    this.running = false;
    this.i.runs.inc({ agent, status: e.status, protocol: this.protocol });
    this.i.runDuration.observe({ agent, status: e.status }, e.duration_ms / SECONDS);
    if (e.usage.input_tokens > 0) this.i.tokens.inc({ agent, direction: 'input' }, e.usage.input_tokens);
    if (e.usage.output_tokens > 0) this.i.tokens.inc({ agent, direction: 'output' }, e.usage.output_tokens);
  }
}
