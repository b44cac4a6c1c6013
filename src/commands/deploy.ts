// PLACEHOLDER until the deploy issue lands: replaced by its implementation.
export async function runDeploy(_opts: unknown): Promise<number> {
  process.stderr.write('agentor: "deploy" is not implemented yet\n');
  return 2;
}
