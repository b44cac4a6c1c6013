/**
 * Images a user attaches to a message (`@photo.png`, an OpenAI-style `image_url` data URL, an A2A file part): what
 * the bytes are is read from their magic bytes and header, never from a file name, so a JPEG named `.png` goes as
 * image/jpeg and a `.png` that is no image is refused. Only the formats vision models take: PNG, JPEG, GIF, WebP.
 */
import type { ImageMime, ImagePart } from './types.js';

/** Largest image attached (bytes): vision APIs reject larger ones, and a session log keeps each one inline. */
export const IMAGE_MAX_BYTES = 5 * 1024 * 1024;
/** Most images one message carries. */
export const IMAGE_MAX_COUNT = 10;

/** What an image's header says. */
export interface ImageInfo {
  mime: ImageMime;
  /** The format's usual name: PNG, JPEG, GIF, WebP. */
  format: string;
  width: number;
  height: number;
}

/** The outcome of reading an image's header: what it is, a damaged image of a known format, or no such image. */
export type ImageSniff = { kind: 'image'; info: ImageInfo } | { kind: 'damaged'; format: string } | { kind: 'none' };

const FORMATS: Record<ImageMime, string> = {
  'image/png': 'PNG',
  'image/jpeg': 'JPEG',
  'image/gif': 'GIF',
  'image/webp': 'WebP',
};

/** File names that say "image": a mention of one whose bytes are no image is refused rather than sent as text. */
export const IMAGE_EXTENSION = /\.(png|jpe?g|gif|webp)$/i;

function ascii(b: Uint8Array, at: number, text: string): boolean {
  if (b.length < at + text.length) return false;
  for (let i = 0; i < text.length; i++) if (b[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

const u16be = (b: Uint8Array, at: number): number => ((b[at] as number) << 8) | (b[at + 1] as number);
const u16le = (b: Uint8Array, at: number): number => (b[at] as number) | ((b[at + 1] as number) << 8);
const u24le = (b: Uint8Array, at: number): number => u16le(b, at) | ((b[at + 2] as number) << 16);
const u32be = (b: Uint8Array, at: number): number => u16be(b, at) * 0x10000 + u16be(b, at + 2);

function found(mime: ImageMime, width: number, height: number): ImageSniff {
  if (width <= 0 || height <= 0) return { kind: 'damaged', format: FORMATS[mime] };
  return { kind: 'image', info: { mime, format: FORMATS[mime], width, height } };
}

/** Reads what image `bytes` hold from their magic bytes and header (the whole file for JPEG, whose size is inside). */
export function sniffImage(b: Uint8Array): ImageSniff {
  if (b[0] === 0x89 && ascii(b, 1, 'PNG\r\n\x1a\n')) {
    if (!ascii(b, 12, 'IHDR') || b.length < 24) return { kind: 'damaged', format: 'PNG' };
    return found('image/png', u32be(b, 16), u32be(b, 20));
  }
  if (ascii(b, 0, 'GIF87a') || ascii(b, 0, 'GIF89a')) {
    if (b.length < 10) return { kind: 'damaged', format: 'GIF' };
    return found('image/gif', u16le(b, 6), u16le(b, 8));
  }
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP')) return webp(b);
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return jpeg(b);
  return { kind: 'none' };
}

function webp(b: Uint8Array): ImageSniff {
  if (ascii(b, 12, 'VP8X') && b.length >= 30) return found('image/webp', u24le(b, 24) + 1, u24le(b, 27) + 1);
  if (ascii(b, 12, 'VP8L') && b.length >= 25 && b[20] === 0x2f) {
    const bits = (b[21] as number) | ((b[22] as number) << 8) | ((b[23] as number) << 16) | ((b[24] as number) << 24);
    return found('image/webp', (bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
  }
  if (ascii(b, 12, 'VP8 ') && b.length >= 30 && b[23] === 0x9d && b[24] === 0x01 && b[25] === 0x2a) {
    return found('image/webp', u16le(b, 26) & 0x3fff, u16le(b, 28) & 0x3fff);
  }
  return { kind: 'damaged', format: 'WebP' };
}

// Start-of-frame markers (baseline, progressive, lossless…): they carry the size. C4, C8 and CC are not frames.
const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

function jpeg(b: Uint8Array): ImageSniff {
  let i = 2;
  while (i + 3 < b.length) {
    if (b[i] !== 0xff) break;
    const marker = b[i + 1] as number;
    // Fill bytes, and markers that stand alone (no length).
    if (marker === 0xff) {
      i++;
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      i += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) break; // end of image, or the scan: no frame header came first
    if (SOF.has(marker)) {
      if (i + 9 > b.length) break;
      return found('image/jpeg', u16be(b, i + 7), u16be(b, i + 5));
    }
    i += 2 + u16be(b, i + 2);
  }
  return { kind: 'damaged', format: 'JPEG' };
}

// Models known to take text only (an `org/` prefix, as routers write ids, is ignored). Unknown ids are not refused:
// the upstream's own answer decides, and a 400 about the image becomes a clear failure (providers/openai.ts).
const TEXT_ONLY = [
  /^gpt-3\.5/,
  /^gpt-4(-0314|-0613|-32k.*)?$/,
  /^gpt-4-(0125|1106)-preview$/,
  /^o1-(mini|preview)/,
  /^o3-mini/,
  /^deepseek-(chat|reasoner|coder)/,
  /^codestral/,
  /^(open-)?mistral-(tiny|small|medium|7b)/,
  /^qwen[\d.]*-coder/,
  /^text-/,
];

/** False for a model known not to take images; undefined when the table does not know it. */
export function acceptsImages(model: string): false | undefined {
  const id = model.toLowerCase().replace(/^.*\//, '');
  return TEXT_ONLY.some((re) => re.test(id)) ? false : undefined;
}

/** A size for people: "12 KB", "1.4 MB". */
export function sizeText(bytes: number): string {
  return bytes < 1024 * 1024
    ? `${Math.max(1, Math.ceil(bytes / 1024))} KB`
    : `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** How many bytes base64 `data` decodes to, without decoding it. */
export function base64Bytes(data: string): number {
  const pad = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  return Math.floor((data.length * 3) / 4) - pad;
}

/** The placeholder an image is shown as, wherever its bytes would be: `[image photo.png · PNG 640×480 · 12 KB]`. */
export function imageLabel(part: ImagePart): string {
  const format = FORMATS[part.mime];
  const size = part.width && part.height ? ` ${part.width}×${part.height}` : '';
  return `[image ${part.name ?? 'image'} · ${format}${size} · ${sizeText(base64Bytes(part.data))}]`;
}

/** An image part, or why there is none (`tooLarge` when only its size is wrong). */
export type ImageResult = { part: ImagePart } | { error: string; tooLarge?: boolean };

/**
 * An image part for `bytes` (named `name`, where they came from), or why they cannot be one, in words for the person
 * who sent them: not an image of a taken format, damaged, or over `maxBytes`.
 */
export function imagePart(bytes: Uint8Array, name: string | undefined, maxBytes = IMAGE_MAX_BYTES): ImageResult {
  if (bytes.length > maxBytes) {
    return {
      error: `it is ${sizeText(bytes.length)}, over the ${sizeText(maxBytes)} limit for an image`,
      tooLarge: true,
    };
  }
  const sniff = sniffImage(bytes);
  if (sniff.kind === 'none') return { error: 'it is not a PNG, JPEG, GIF or WebP image (its bytes say otherwise)' };
  if (sniff.kind === 'damaged') {
    return { error: `it starts like a ${sniff.format} image but its header is damaged or cut short` };
  }
  const { mime, width, height } = sniff.info;
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  return { part: { type: 'image', mime, data, ...(name !== undefined ? { name } : {}), width, height } };
}

const DATA_URL = /^data:([\w.+-]+\/[\w.+-]+)?(?:;[\w-]+=[^;,]*)*;base64,/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * An image part from base64 a client sent (the payload of an `image_url` `data:` URL), checked as a mention is: the
 * bytes decide the mime (a declared one is not trusted), the cap and the formats apply.
 */
export function imagePartFromBase64(data: string, name: string | undefined, maxBytes = IMAGE_MAX_BYTES): ImageResult {
  const clean = data.replace(/\s+/g, '');
  if (!BASE64.test(clean)) return { error: 'it is not valid base64' };
  // Refused before decoding: a huge payload is not copied once more just to be measured.
  if (base64Bytes(clean) > maxBytes) {
    const size = sizeText(base64Bytes(clean));
    return { error: `it is ${size}, over the ${sizeText(maxBytes)} limit for an image`, tooLarge: true };
  }
  return imagePart(Buffer.from(clean, 'base64'), name, maxBytes);
}

/** The base64 payload of a `data:…;base64,` URL; undefined for any other URL (which is never fetched). */
export function dataUrlPayload(url: string): string | undefined {
  const m = DATA_URL.exec(url);
  return m ? url.slice(m[0].length) : undefined;
}
