/** `@name` addressing: a message that starts with `@a @b` goes to those agents only. */
import { sanitize } from '../core/text/sanitize.js';

/** Where a message goes: the agents it names with leading `@name`s, and the text without them. */
export type Addressed = { targets: number[]; text: string; to?: string[] } | { error: string };

/** How an agent is addressed: its name, with runs of white space as "-" (a remote A2A agent's name may have spaces). */
export function addressName(name: string): string {
  return name.trim().replace(/\s+/g, '-');
}

/**
 * Reads leading `@name` words of a message (`@a @b question`): the message goes to those agents only; without them,
 * to every agent. Names match exactly, else case-insensitively; two agents sharing a name are both addressed.
 */
export function parseAddress(
  message: string,
  names: readonly string[],
  /** True for a word that names a file (`@src/a.ts`): the addresses end there, the mention stays in the text. */
  isPath: (word: string) => boolean = () => false,
): Addressed {
  const all = names.map((_, i) => i);
  if (!message.startsWith('@')) return { targets: all, text: message };
  const targets: number[] = [];
  const to: string[] = [];
  let rest = message;
  for (let m = /^@(\S+)\s*/.exec(rest); m; m = /^@(\S+)\s*/.exec(rest)) {
    const word = m[1] as string;
    let found = all.filter((i) => names[i] === word);
    if (found.length === 0) found = all.filter((i) => (names[i] as string).toLowerCase() === word.toLowerCase());
    if (found.length === 0)
      found = all.filter((i) => addressName(names[i] as string).toLowerCase() === word.toLowerCase());
    if (found.length === 0 && isPath(word)) break;
    if (found.length === 0) {
      return {
        error: `no agent named @${sanitize(word)} — the agents are ${names.map((n) => `@${addressName(n)}`).join(', ')} (start the message with a space to send text beginning with @)`,
      };
    }
    for (const i of found) if (!targets.includes(i)) targets.push(i);
    if (!to.includes(names[found[0] as number] as string)) to.push(names[found[0] as number] as string);
    rest = rest.slice(m[0].length);
  }
  if (targets.length === 0) return { targets: all, text: message };
  if (!rest.trim())
    return { error: `nothing to send to ${to.map((n) => `@${n}`).join(' ')}: write the message after the name` };
  targets.sort((a, b) => a - b);
  return targets.length === names.length ? { targets, text: rest } : { targets, text: rest, to };
}
