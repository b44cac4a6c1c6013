/** A deploy problem the user can fix (bad flag, missing file, unsafe output); the CLI prints it and exits 2. */
export class DeployError extends Error {
  /** The exit code the CLI uses for it. */
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = 'DeployError';
    this.exitCode = exitCode;
  }
}
