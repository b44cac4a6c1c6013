/**
 * A lean Server-Sent Events parser for response bodies (the spec's line rules: LF, CRLF or CR endings, `data:` lines
 * joined by "\n", `event:`, comments, dispatch on a blank line). The openai SDK's own decoder was a third of the CPU
 * of a 20k-token answer; this one does one string split per network read.
 */

/** One dispatched SSE message. */
export interface SSEMessage {
  event: string | undefined;
  data: string;
}

/**
 * Parses a body into SSE messages, yielded in batches (all messages completed by one network read). Chunks are bytes,
 * or strings already decoded as utf-8 (a `node:http` body with `setEncoding('utf8')`).
 */
export async function* parseSSEBatches(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<SSEMessage[]> {
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  let event: string | undefined;
  const takeLines = (text: string, final: boolean): SSEMessage[] => {
    const out: SSEMessage[] = [];
    buffer += text;
    // A trailing CR may be the first half of CRLF: keep it until the next read.
    const end = final ? buffer.length : buffer.endsWith('\r') ? buffer.length - 1 : buffer.length;
    let start = 0;
    for (;;) {
      let nl = -1;
      for (let i = start; i < end; i++) {
        const c = buffer.charCodeAt(i);
        if (c === 10 || c === 13) {
          nl = i;
          break;
        }
      }
      if (nl === -1) break;
      const line = buffer.slice(start, nl);
      start = nl + (buffer.charCodeAt(nl) === 13 && buffer.charCodeAt(nl + 1) === 10 ? 2 : 1);
      if (line === '') {
        if (data.length > 0) out.push({ event, data: data.length === 1 ? (data[0] as string) : data.join('\n') });
        data = [];
        event = undefined;
        continue;
      }
      if (line.charCodeAt(0) === 58) continue; // ":" comment (keep-alive)
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.charCodeAt(0) === 32) value = value.slice(1);
      if (field === 'data') data.push(value);
      else if (field === 'event') event = value;
    }
    buffer = buffer.slice(start);
    return out;
  };
  for await (const chunk of body) {
    const batch = takeLines(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }), false);
    if (batch.length > 0) yield batch;
  }
  // An event not closed by a blank line when the stream ends is discarded, as the SSE spec says.
  const rest = takeLines(decoder.decode(), true);
  if (rest.length > 0) yield rest;
}
