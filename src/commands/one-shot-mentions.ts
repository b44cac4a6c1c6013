/**
 * `@path` in a one-shot run with plain or `--json` output (`agentor chat --plain "explain @src/x.ts"`): the files the
 * prompt mentions are attached as the interactive chat attaches them (core/file-mentions.ts: same blocks, images, caps
 * and refusals). Only the prompt given on the command line is read for mentions; piped text is material, never scanned
 * (a diff or a log that says `@config.json` attaches nothing). A mention that cannot be attached (too large, binary,
 * unreadable) stops the run before anything is sent, exit 2: with no one to read a note, an answer about a file the
 * model never saw would be worse than none.
 */
import { sanitize } from '../core/text/sanitize.js';
import type { AgentInput } from '../core/agent.js';
import { attachMentions, noteText, type AttachedMessage } from '../core/file-mentions.js';
import { userContent } from '../core/providers/messages.js';
import type { ImagePart } from '../core/providers/types.js';

/**
 * The prompt with its mentioned files attached (images apart, to go as image parts), or undefined when one was
 * refused (said on `err`).
 */
export function attachForOneShot(
  prompt: string,
  cwd: string,
  err: { write: (s: string) => unknown; isTTY?: boolean },
): Pick<AttachedMessage, 'prompt' | 'images'> | undefined {
  const attached = attachMentions(prompt, cwd);
  const refused = attached.notes.filter((n) => n.kind === 'skipped');
  for (const note of refused) err.write(`agentor: ${sanitize(noteText(note))}\n`);
  if (refused.length > 0) {
    err.write('agentor: nothing was sent: fix or remove the mention (a one-shot run never goes without its files)\n');
    return undefined;
  }
  // For a person at the terminal; a script sees the attachments in what it asked for.
  if (err.isTTY) for (const note of attached.notes) err.write(`agentor: ${sanitize(noteText(note))}\n`);
  return { prompt: attached.prompt, images: attached.images };
}

/** A one-shot run's input: the text alone, or one user message with the text and its images. */
export function oneShotInput(text: string, images: readonly ImagePart[]): AgentInput {
  return images.length === 0 ? text : [{ role: 'user', content: userContent(text, images) }];
}
