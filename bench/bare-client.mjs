// The floor for streaming benchmarks: the least a client can do — one fetch, split SSE frames, print NDJSON.
// Usage: node bench/bare-client.mjs <baseURL>
const base = process.argv[2];
const res = await fetch(`${base}/chat/completions`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: 'Bearer test' },
  body: JSON.stringify({
    model: 'm',
    stream: true,
    stream_options: { include_usage: true },
    messages: [{ role: 'user', content: 'hi' }],
  }),
});
const decoder = new TextDecoder();
let buffer = '';
let seq = 0;
for await (const chunk of res.body) {
  buffer += decoder.decode(chunk, { stream: true });
  let i;
  while ((i = buffer.indexOf('\n\n')) >= 0) {
    const frame = buffer.slice(0, i);
    buffer = buffer.slice(i + 2);
    const data = frame.startsWith('data: ') ? frame.slice(6) : '';
    if (!data || data === '[DONE]') continue;
    const text = JSON.parse(data).choices?.[0]?.delta?.content;
    if (text) process.stdout.write(JSON.stringify({ type: 'text_delta', seq: seq++, text }) + '\n');
  }
}
process.stdout.write(JSON.stringify({ type: 'run_end', seq }) + '\n');
