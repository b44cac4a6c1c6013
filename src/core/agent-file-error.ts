/** The error type of agent files, in a module of its own so callers can catch it without loading the YAML parser. */
import { ConfigError } from './config.js';

/** A problem in an agent file; the message names the file and, when there is one, the field. */
export class AgentFileError extends ConfigError {
  readonly file: string;
  readonly field: string | undefined;
  constructor(file: string, field: string | undefined, problem: string) {
    super(`${file}: ${field ? `"${field}" ` : ''}${problem}`);
    this.name = 'AgentFileError';
    this.file = file;
    this.field = field;
  }
}
