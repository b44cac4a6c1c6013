/** Helpers over message content: user messages are text, or text and image parts (see UserContent). */
import { imageLabel } from './images.js';
import type { ChatMessage, ImagePart, UserContent } from './types.js';

/**
 * A message's content as text: its text parts, then each image as its placeholder (`[image photo.png · PNG 640×480 ·
 * 12 KB]`), never its bytes. What transcripts, `run_start.input` and session listings show.
 */
export function contentText(content: UserContent | null): string {
  if (content === null) return '';
  if (typeof content === 'string') return content;
  const texts: string[] = [];
  const images: string[] = [];
  for (const part of content) {
    if (part.type === 'text') texts.push(part.text);
    else images.push(imageLabel(part));
  }
  return [texts.join('\n\n'), images.join(' ')].filter(Boolean).join('\n');
}

/** A message's text parts alone, joined (images left out: for a receiver that gets them as parts of their own). */
export function contentTexts(content: UserContent): string {
  if (typeof content === 'string') return content;
  return content.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join('\n\n');
}

/** The images of a message's content (none for text). */
export function contentImages(content: UserContent | null): ImagePart[] {
  if (content === null || typeof content === 'string') return [];
  return content.filter((p): p is ImagePart => p.type === 'image');
}

/** A user message's content: the text alone when there are no images (the cheap, common case), else text + images. */
export function userContent(text: string, images: readonly ImagePart[]): UserContent {
  return images.length === 0 ? text : [{ type: 'text', text }, ...images];
}

/** The text of the last user message of a conversation ('' when there is none), images as placeholders. */
export function lastUserText(messages: readonly { role: string; content: UserContent | null }[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m?.role === 'user') return contentText(m.content);
  }
  return '';
}

/** The images of the last user message of a conversation. */
export function lastUserImages(messages: readonly { role: string; content: UserContent | null }[]): ImagePart[] {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m?.role === 'user') return contentImages(m.content);
  }
  return [];
}

/** An input message (see run.ts InputMessage) as the model gets it: only user messages carry images. */
export function toChatMessage(m: { role: 'user' | 'assistant' | 'system'; content: UserContent }): ChatMessage {
  if (m.role === 'user') return { role: 'user', content: m.content };
  return { role: m.role, content: contentText(m.content) };
}
