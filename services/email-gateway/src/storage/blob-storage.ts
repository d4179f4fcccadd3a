import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';

/** Where raw mail and attachment content is kept; a key is a relative, slash-separated path. */
export interface BlobStorage {
  put(key: string, content: Uint8Array): Promise<void>;
  get(key: string): Promise<Buffer>;
}

export const BLOB_STORAGE = Symbol('BLOB_STORAGE');

/** Content-addressed keys make retries idempotent: the same bytes land on the same key. */
export function contentKey(
  prefix: string,
  tenantId: string,
  content: Uint8Array,
  suffix = '',
): string {
  const digest = createHash('sha256').update(content).digest('hex');
  return `${prefix}/${safeSegment(tenantId)}/${digest.slice(0, 2)}/${digest}${suffix}`;
}

function safeSegment(value: string): string {
  return value.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** The local-disk default: atomic writes (temp file + rename), so a crash never leaves half a file. */
export class LocalDiskStorage implements BlobStorage {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  async put(key: string, content: Uint8Array): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(temporary, content);
    await rename(temporary, path);
  }

  get(key: string): Promise<Buffer> {
    return readFile(this.pathOf(key));
  }

  private pathOf(key: string): string {
    const path = resolve(join(this.root, key));
    if (!path.startsWith(this.root + sep)) throw new Error(`storage key escapes the root: ${key}`);
    return path;
  }
}

/** For unit tests. */
export class InMemoryStorage implements BlobStorage {
  readonly blobs = new Map<string, Buffer>();

  put(key: string, content: Uint8Array): Promise<void> {
    this.blobs.set(key, Buffer.from(content));
    return Promise.resolve();
  }

  get(key: string): Promise<Buffer> {
    const blob = this.blobs.get(key);
    return blob ? Promise.resolve(blob) : Promise.reject(new Error(`no blob ${key}`));
  }
}
