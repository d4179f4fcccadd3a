import type { IncomingMessage } from 'node:http';
import { PayloadTooLargeException } from '@nestjs/common';

/** Meta batches up to 1000 updates per POST; 1 MiB is far above any real webhook body. */
export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;

/**
 * Reads the request body as the exact bytes sent (Nest's body parser is off for this service),
 * because signatures are computed over those bytes, not over re-serialised JSON. An oversized
 * body is drained (not kept) so the 413 answer still reaches the client.
 */
export function readRawBody(
  request: IncomingMessage,
  limitBytes = MAX_WEBHOOK_BODY_BYTES,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer | string) => {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += buffer.length;
      if (size <= limitBytes) chunks.push(buffer);
    });
    request.once('end', () => {
      if (size > limitBytes) {
        reject(new PayloadTooLargeException(`webhook body exceeds ${limitBytes} bytes`));
      } else {
        resolve(Buffer.concat(chunks));
      }
    });
    request.once('error', reject);
  });
}
