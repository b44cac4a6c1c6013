/** A prompt and the material piped with it (`git diff | agentor chat "review"`) as one message. */

/** Combines the prompt and piped context the way a user expects: the question, then the material. */
export function composePrompt(prompt: string, piped: string): string {
  const context = piped.replace(/\s+$/, '');
  if (!context) return prompt;
  if (!prompt) return context;
  return `${prompt}\n\n${context}`;
}
