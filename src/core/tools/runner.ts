/**
 * Runs the model's tool calls: argument parsing, per-call timeouts, cancellation, and an error budget that disables a
 * tool that keeps failing. Every failure becomes an `is_error` result the model sees; nothing here throws.
 */
import type { ToolCallRequest } from '../providers/types.js';
import type { Tool } from './tool.js';

/** The outcome of one call. */
export interface ToolCallOutcome {
  result: string;
  is_error: boolean;
  duration_ms: number;
}

/** Runner settings. */
export interface ToolRunnerOptions {
  /** Failures after which a tool is disabled for the rest of the run (default 2). */
  errorBudget?: number;
  /** Default per-call timeout in ms (default 60 s). */
  timeoutMs?: number;
}

/** Parses a tool call's JSON arguments; an empty string means no arguments. */
export function parseToolArguments(raw: string): { args: Record<string, unknown>; error?: string } {
  if (!raw.trim()) return { args: {} };
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { args: {}, error: 'arguments must be a JSON object' };
    }
    return { args: value as Record<string, unknown> };
  } catch (e) {
    return { args: {}, error: `arguments are not valid JSON (${(e as Error).message})` };
  }
}

/** A tool call with its arguments parsed (`error` says why they could not be). */
export interface ParsedToolCall extends ToolCallRequest {
  args: Record<string, unknown>;
  error?: string;
}

/** Parses a model's tool call once, for both its `tool_call` event and its run. */
export function parseToolCall(call: ToolCallRequest): ParsedToolCall {
  return { ...call, ...parseToolArguments(call.arguments) };
}

/** The run a tool call belongs to. */
export interface ToolRunContext {
  runId: string;
  /** The run's signal: aborting it cancels the call. */
  signal: AbortSignal;
  /** Handed to the tool as `ctx.headers` (trace context for its HTTP requests). */
  headers?: Readonly<Record<string, string>>;
}

function stringify(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Holds a run's tools and their failure counts. */
export class ToolRunner {
  private readonly tools = new Map<string, Tool>();
  private readonly failures = new Map<string, number>();
  private readonly errorBudget: number;
  private readonly timeoutMs: number;

  constructor(tools: readonly Tool[], opts: ToolRunnerOptions = {}) {
    for (const t of tools) this.tools.set(t.name, t);
    this.errorBudget = opts.errorBudget ?? 2;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
  }

  /** Replaces the tools to offer (e.g. at a turn, when more became available); failure counts are kept. */
  offer(tools: readonly Tool[]): void {
    this.tools.clear();
    for (const t of tools) this.tools.set(t.name, t);
  }

  /** Tools still offered to the model (disabled ones are withdrawn). */
  available(): Tool[] {
    return [...this.tools.values()].filter((t) => !this.isDisabled(t.name));
  }

  isDisabled(name: string): boolean {
    return (this.failures.get(name) ?? 0) >= this.errorBudget;
  }

  /** The tool a call would run, if it would run at all (known, enabled, arguments parsed): only such calls need approval. */
  toolFor(call: ParsedToolCall): Tool | undefined {
    const t = this.tools.get(call.name);
    return t && !call.error && !this.isDisabled(t.name) ? t : undefined;
  }

  /** A call the approval policy refused: an error result, counted against the budget so a refused tool is withdrawn. */
  refuse(call: ParsedToolCall, reason: string): ToolCallOutcome {
    this.recordFailure(call.name);
    return { result: `Error: denied by the approval policy: ${reason}.`, is_error: true, duration_ms: 0 };
  }

  /** Runs one call; resolves (never rejects) with what the model should see. */
  async run(call: ParsedToolCall, { runId, signal, headers }: ToolRunContext): Promise<ToolCallOutcome> {
    const started = performance.now();
    const done = (result: string, is_error: boolean): ToolCallOutcome => ({
      result,
      is_error,
      duration_ms: Math.round(performance.now() - started),
    });
    const t = this.tools.get(call.name);
    if (!t) {
      const names = this.available().map((x) => x.name);
      return done(`Error: unknown tool "${call.name}". Available tools: ${names.join(', ') || 'none'}.`, true);
    }
    if (this.isDisabled(t.name)) {
      return done(`Error: tool "${t.name}" is disabled after ${this.errorBudget} failures in this run.`, true);
    }
    if (call.error) {
      this.recordFailure(t.name);
      return done(`Error: ${call.error}. Call "${t.name}" again with a JSON object matching its schema.`, true);
    }
    if (signal.aborted) return done('Error: cancelled before the tool ran.', true);

    // The tool's signal is the run's and its own deadline's, one AbortSignal.any; the reason says which fired.
    const timeoutMs = t.timeoutMs ?? this.timeoutMs;
    const timeoutReason = new Error(`timed out after ${timeoutMs} ms`);
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(timeoutReason), timeoutMs);
    const toolSignal = AbortSignal.any([signal, deadline.signal]);
    try {
      const stop = new Promise<never>((_, reject) => {
        toolSignal.addEventListener(
          'abort',
          () => reject(toolSignal.reason === timeoutReason ? timeoutReason : new Error('cancelled')),
          { once: true },
        );
      });
      const parsed = t.parse ? t.parse(call.args) : call.args;
      const value = await Promise.race([
        Promise.resolve().then(() =>
          t.execute(parsed, { signal: toolSignal, run_id: runId, call_id: call.id, ...(headers ? { headers } : {}) }),
        ),
        stop,
      ]);
      return done(stringify(value), false);
    } catch (e) {
      this.recordFailure(t.name);
      const message = e instanceof Error ? e.message : stringify(e);
      return done(`Error: ${message}`, true);
    } finally {
      clearTimeout(timer);
    }
  }

  private recordFailure(name: string): void {
    this.failures.set(name, (this.failures.get(name) ?? 0) + 1);
  }
}
