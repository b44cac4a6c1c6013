// PLACEHOLDER until the serve issue lands: replaced by its implementation.
export async function runServe(_opts: unknown): Promise<number> {
  process.stderr.write('agentor: "serve" is not implemented yet\n');
  return 2;
}
