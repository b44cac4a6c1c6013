/**
 * Standalone fake OpenAI server for tests that drive agentor as a child
 * process (PTY / e2e), where the fake cannot live in the test's own process.
 *
 *   node --import tsx test/support/fake-openai-server.ts
 *
 * Env: FAKE_REPLY (JSON FakeReply used for every request, default "ok"),
 *      FAKE_TOKEN_DELAY_MS (delay between streamed chunks), FAKE_PORT.
 * Prints `READY <baseURL>` on stdout once listening; exits on SIGTERM/SIGINT.
 */
import { startFakeOpenAI, type FakeReply } from './fake-openai.js';

const fallback = process.env.FAKE_REPLY ? (JSON.parse(process.env.FAKE_REPLY) as FakeReply) : undefined;
const tokenDelayMs = process.env.FAKE_TOKEN_DELAY_MS ? Number(process.env.FAKE_TOKEN_DELAY_MS) : undefined;
const port = process.env.FAKE_PORT ? Number(process.env.FAKE_PORT) : undefined;

const fake = await startFakeOpenAI({ fallback, tokenDelayMs, port });
process.stdout.write(`READY ${fake.url}\n`);

const shutdown = () => {
  void fake.close().then(() => process.exit(0));
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
