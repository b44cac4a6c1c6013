/**
 * Text kept for long (the UI's answers for /save and /copy and each agent's conversation; a served session's history)
 * is made flat once it is complete. An answer is built by appending thousands of deltas, which V8 keeps as a rope
 * (~50 bytes per delta, ten times the text) until something reads it by index; reading one character flattens it in
 * place, losslessly.
 */

/** `text`, stored by V8 as one flat buffer from now on. */
export function flat(text: string): string {
  text.charCodeAt(0);
  return text;
}
