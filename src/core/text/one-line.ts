/** A text on one line, for a list row, a label or a comment in a generated file. */

/**
 * `text` with control characters dropped and whitespace collapsed, cut to `max` characters (code points, so an emoji
 * is never split) with an ellipsis.
 */
export function oneLine(text: string, max: number): string {
  const flat = text
    .replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = [...flat];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : flat;
}
