/**
 * Event `data` keys as stored in MongoDB. Keys may contain `.` (`meta.preChatTopic`) or start with
 * `$` (gateway metadata is free-form), which FerretDB refuses and MongoDB reads as paths in
 * updates, so they are percent-escaped on the way in and restored on the way out. Keys without
 * `%`, `.` or `$` (every key written before this codec) are stored unchanged.
 */
export function encodeEventData(data: Record<string, string>): Record<string, string> {
  const stored: Record<string, string> = {};
  for (const [key, value] of Object.entries(data)) stored[encodeKey(key)] = value;
  return stored;
}

export function decodeEventData(
  stored: Record<string, string> | null | undefined,
): Record<string, string> {
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(stored ?? {})) data[decodeKey(key)] = value;
  return data;
}

const encodeKey = (key: string): string =>
  key.replace(/[%.$]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);

const decodeKey = (key: string): string =>
  key.replace(/%(25|2E|24)/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
