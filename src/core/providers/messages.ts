/** The text of the last user message of a conversation ('' when there is none). */
export function lastUserText(messages: readonly { role: string; content: string | null }[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m?.role === 'user') return m.content ?? '';
  }
  return '';
}
