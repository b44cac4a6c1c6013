/**
 * What to show of a failed MCP server's stderr. Kept apart from the transport (which loads the MCP SDK) so the pool and
 * its tests can use it without loading the SDK.
 */
import { sanitize } from '../text/sanitize.js';

// What Node and Python print around an error that says nothing about it.
const NOISE: readonly RegExp[] = [
  /^\s+at\s/, // JavaScript stack frames
  /^Node\.js v\d/, // Node's version footer
  /^\s*\^+\s*$/, // the caret under the echoed source line
  /^\s*[{}[\]]+,?\s*$/, // braces of a printed error object
  /^\s+(code|errno|syscall|path|address|port|url|input|requireStack|\[cause\]|\[errors\]): /, // its properties
  /^Require stack:$/,
  /^- \//, // the require stack's entries
  /^Traceback \(most recent call last\):$/,
];
// Followed by the source line they echo: Node's "path:line" header of an uncaught error, a Python frame.
const SOURCE_HEADER = /^(node:internal\/\S*|file:\/\/\S*|\/\S*):\d+$|^\s+File ".*", line \d+/;
const ERRORISH =
  /\b(error|exception|fatal|panic|cannot|can't|could not|couldn't|not found|denied|refused|failed|no such|invalid|missing|E[A-Z]{3,})\b/i;

/**
 * The lines of a server's stderr worth showing when it fails: the error itself (`Error: Cannot find module …`,
 * `ModuleNotFoundError: …`), not stack frames, echoed source or Node's version footer. The last `max` (default 3)
 * error-looking lines, else (unless `errorsOnly`) the last `max` lines that are not noise; each sanitized and cut to
 * 240 characters.
 */
export function meaningfulStderr(text: string, opts: { max?: number; errorsOnly?: boolean } = {}): string[] {
  const max = opts.max ?? 3;
  const lines: string[] = [];
  let afterHeader = false;
  for (const raw of sanitize(text).split(/\r?\n/)) {
    const line = raw.trimEnd();
    const echoed = afterHeader;
    afterHeader = SOURCE_HEADER.test(line);
    if (afterHeader || echoed || line.trim() === '' || NOISE.some((r) => r.test(line))) continue;
    lines.push(line.trim());
  }
  const errors = lines.filter((l) => ERRORISH.test(l));
  return (errors.length > 0 || opts.errorsOnly ? errors : lines)
    .slice(-max)
    .map((l) => (l.length > 240 ? `${l.slice(0, 239)}…` : l));
}
