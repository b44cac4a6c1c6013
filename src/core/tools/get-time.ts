/** `get_time`: the current date and time, optionally in an IANA time zone. */
import { tool } from './tool.js';

/** Formats `now` for a time zone; throws a model-readable error for an unknown zone. */
export function describeTime(now: Date, timezone?: string): string {
  const zone = timezone?.trim() || Intl.DateTimeFormat().resolvedOptions().timeZone;
  let formatter: Intl.DateTimeFormat;
  try {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      dateStyle: 'full',
      timeStyle: 'long',
    });
  } catch {
    throw new Error(`unknown time zone "${zone}"; use an IANA name such as "Europe/Paris" or "UTC"`);
  }
  return JSON.stringify({ timezone: zone, iso_utc: now.toISOString(), local: formatter.format(now) });
}

/** The built-in get_time tool. */
export const getTime = tool<{ timezone?: string }>({
  name: 'get_time',
  description: 'Get the current date and time. Optionally pass an IANA time zone such as "Asia/Tokyo".',
  parameters: {
    type: 'object',
    properties: { timezone: { type: 'string', description: 'IANA time zone, e.g. "Europe/Paris"; default: local' } },
    additionalProperties: false,
  },
  execute: ({ timezone }) => describeTime(new Date(), timezone),
  readOnly: true,
});
