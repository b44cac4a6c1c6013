// PLACEHOLDER until the agents issue lands: replaced by its implementation.
export async function runAgents(_opts: unknown): Promise<number> {
  process.stderr.write('agentor: "agents" is not implemented yet\n');
  return 2;
}
