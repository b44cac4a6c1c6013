/** The shape of a readiness check, shared by the probe route and what plugs checks into it (stores, MCP servers). */

/** One readiness check: a dependency the server needs in order to answer. `reason` says what is wrong. */
export interface ReadinessCheck {
  name: string;
  ok: boolean;
  reason?: string;
}
