/**
 * A lean Server-Sent Events parser for response bodies (the spec's line rules: LF, CRLF or CR endings, `data:` lines
 * joined by "\n", `event:`, comments, dispatch on a blank line). The openai SDK's own decoder was a third of the CPU
 * of a 20k-token answer; this one does one string scan per network read, synchronously: the reader that feeds it
 * decides when to await, so a read costs one async step, not one per layer.
 */

/** One dispatched SSE message. */
export interface SSEMessage {
  event: string | undefined;
  data: string;
}

/** An incremental SSE parser: feed it text as it arrives; each call returns the messages that text completed. */
export class SSEParser {
  private buffer = '';
  private data: string[] = [];
  private event: string | undefined;

  /** Parses the next piece of the body. */
  push(text: string): SSEMessage[] {
    return this.take(text, false);
  }

  /** The body ended: a last line without its line break still counts; an unterminated event is dropped (the spec). */
  end(): SSEMessage[] {
    return this.take('', true);
  }

  private take(text: string, final: boolean): SSEMessage[] {
    const out: SSEMessage[] = [];
    const buffer = this.buffer + text;
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
        const data = this.data;
        if (data.length > 0)
          out.push({ event: this.event, data: data.length === 1 ? (data[0] as string) : data.join('\n') });
        this.data = [];
        this.event = undefined;
        continue;
      }
      if (line.charCodeAt(0) === 58) continue; // ":" comment (keep-alive)
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.charCodeAt(0) === 32) value = value.slice(1);
      if (field === 'data') this.data.push(value);
      else if (field === 'event') this.event = value;
    }
    this.buffer = buffer.slice(start);
    return out;
  }
}
