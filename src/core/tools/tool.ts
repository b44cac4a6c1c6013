/** The Tool contract and the `tool()` helper used to declare one. */

/** A JSON Schema object describing a tool's arguments (what the model is shown). */
export type JSONSchema = Record<string, unknown>;

/** A schema library object that can describe itself as JSON Schema and validate input (zod 4 fits). */
export interface SchemaLike<A> {
  toJSONSchema(): JSONSchema;
  safeParse?(value: unknown): { success: true; data: A } | { success: false; error: { message: string } };
}

/** What a tool's `execute` receives besides its arguments. */
export interface ToolContext {
  /** Aborted when the run is cancelled or times out, or when the call's own timeout fires. */
  signal: AbortSignal;
  run_id: string;
  call_id: string;
  /** Headers the tool's own HTTP requests should carry (the W3C trace context of its span, when traced). */
  headers?: Readonly<Record<string, string>>;
}

/** A function the model may call. */
export interface Tool<A = Record<string, unknown>> {
  name: string;
  description: string;
  /** JSON Schema of the arguments object. */
  parameters: JSONSchema;
  /** Validates and normalises arguments before `execute`; throws with a message the model can act on. */
  parse?(args: Record<string, unknown>): A;
  /** Returns the result shown to the model; non-strings are JSON-encoded. */
  execute(args: A, ctx: ToolContext): unknown;
  /** Per-call timeout; the runner's default applies when absent. */
  timeoutMs?: number;
  /**
   * `true`: it only reads, so it runs without asking. `false`: it may change things, so the approval policy asks
   * first (MCP tools are, unless their annotations say `readOnlyHint: true`). Absent: a tool of your own code, trusted.
   */
  readOnly?: boolean;
  /** The MCP server it comes from (absent for built-in and library tools); `--allow-tool server__*` matches on it. */
  server?: string;
}

/** Options of `tool()`: `parameters` is JSON Schema or a schema object such as a zod schema. */
export interface ToolDefinition<A> {
  name: string;
  description: string;
  parameters?: JSONSchema | SchemaLike<A>;
  execute(args: A, ctx: ToolContext): unknown;
  timeoutMs?: number;
  /** See `Tool.readOnly`: `false` makes every call wait for approval. */
  readOnly?: boolean;
}

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

function isSchemaLike<A>(value: unknown): value is SchemaLike<A> {
  return typeof value === 'object' && value !== null && typeof (value as SchemaLike<A>).toJSONSchema === 'function';
}

/**
 * Declares a tool. With a zod (or similar) schema the arguments are validated before `execute` runs, and a
 * validation failure becomes an error result the model can correct.
 */
export function tool<A = Record<string, unknown>>(def: ToolDefinition<A>): Tool<A> {
  if (!TOOL_NAME.test(def.name)) {
    throw new Error(`invalid tool name "${def.name}": use 1-64 letters, digits, "_" or "-"`);
  }
  const schema = def.parameters;
  let parameters: JSONSchema = { type: 'object', properties: {} };
  let parse: ((args: Record<string, unknown>) => A) | undefined;
  if (isSchemaLike<A>(schema)) {
    const { $schema: _ignored, ...json } = schema.toJSONSchema();
    parameters = json;
    if (schema.safeParse) {
      const safeParse = schema.safeParse.bind(schema);
      parse = (args) => {
        const r = safeParse(args);
        if (!r.success) throw new Error(`invalid arguments: ${r.error.message}`);
        return r.data;
      };
    }
  } else if (schema) {
    parameters = schema;
  }
  return {
    name: def.name,
    description: def.description,
    parameters,
    parse,
    execute: (args, ctx) => def.execute(args, ctx),
    timeoutMs: def.timeoutMs,
    ...(def.readOnly !== undefined ? { readOnly: def.readOnly } : {}),
  };
}

/** The Chat Completions `tools` entry for a tool. */
export function toolSpec(t: Tool<never> | Tool): {
  type: 'function';
  function: { name: string; description: string; parameters: JSONSchema };
} {
  return { type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters } };
}
