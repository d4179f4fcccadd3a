import mongoose, { type Connection } from 'mongoose';

export interface MongoConnectionOptions {
  uri: string;
  /** Database name; overrides the one in the URI (each service owns its own database). */
  database?: string;
  appName?: string;
  serverSelectionTimeoutMs?: number;
}

/**
 * Opens a mongoose connection without waiting for the server: the driver keeps reconnecting in
 * the background, and readiness probes (`pingMongo`) report whether it is reachable right now.
 */
export function openMongoConnection(options: MongoConnectionOptions): Connection {
  const connection = mongoose.createConnection(options.uri, {
    dbName: options.database,
    appName: options.appName,
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMs ?? 5_000,
    // Indexes are created explicitly by each repository at start-up (see ensureIndexes), not
    // lazily by mongoose on first model use, so a missing unique index can't go unnoticed.
    autoIndex: false,
    autoCreate: false,
  });
  // Connection failures surface through readiness; without a listener they'd be unhandled.
  connection.on('error', () => undefined);
  return connection;
}

/** True when the server answers a ping within the timeout. */
export async function pingMongo(connection: Connection, timeoutMs = 1_000): Promise<boolean> {
  const db = connection.db;
  if (!db || connection.readyState !== mongoose.ConnectionStates.connected) return false;
  let timer: NodeJS.Timeout | undefined;
  try {
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const pinged = db
      .command({ ping: 1 })
      .then((reply) => reply.ok === 1)
      .catch(() => false);
    return await Promise.race([pinged, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
