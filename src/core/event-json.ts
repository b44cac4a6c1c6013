/**
 * An event as one compact JSON line (no newline), the form `--json` prints and a session log keeps. A recorded
 * `--json` run serializes each event twice in a row — for the log as the run makes it, then for stdout — so the last
 * line made is kept, by identity, and the second consumer gets the same string instead of serializing again. Events
 * are never changed once made, which is what makes reusing the line safe.
 */
let lastValue: object | undefined;
let lastLine = '';

/** `JSON.stringify(value)`, reusing the line of the value serialized last when it is the same object. */
export function eventJson(value: object): string {
  if (value === lastValue) return lastLine;
  const line = JSON.stringify(value);
  lastValue = value;
  lastLine = line;
  return line;
}
