/**
 * The store of the local runtime: dynalite — a real DynamoDB implementation — in this process and
 * in memory, on a free loopback port, with Cutover's table created the way the CDK creates it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { makeClient } from '../functions/aws/clients.js';
import { createStoreTable } from '../functions/aws/store-table.js';

/** dynalite checks no credentials; these are never real ones. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/** Real ms that requests still being answered get when dynalite closes, before their sockets are cut. */
const CLOSE_GRACE_MS = 2_000;

export interface LocalDynamo {
  readonly endpoint: string;
  readonly tableName: string;
  close(): Promise<void>;
}

export async function startLocalDynamo(tableName = 'cutover-local', region = 'us-east-1'): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  // Node closes a keep-alive socket after 5 idle real seconds; a client that picks that socket at the
  // same moment gets ECONNRESET (the SDK clients do not retry: maxAttempts 1). Under the load of
  // many deployments at once that race is real, so idle sockets stay open until close().
  server.keepAliveTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = makeClient(DynamoDBClient, { region, dynamodbEndpoint: endpoint, credentials: LOCAL_CREDENTIALS }, 'dynamodb');
  await createStoreTable(client, tableName);
  client.destroy();
  // Requests being answered. A run that gives up (the runner's stall detection) can close dynalite
  // while handlers still talk to it: those answers finish first, since dynalite fails (uncaught) on
  // a write after its database closed. Then their sockets go too.
  const answering = new Set<ServerResponse>();
  let closing = false;
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    answering.add(res);
    if (closing) res.setHeader('Connection', 'close');
    res.once('close', () => answering.delete(res));
  });
  return {
    endpoint,
    tableName,
    close: () =>
      new Promise<void>((resolve, reject) => {
        closing = true;
        for (const res of answering) {
          if (!res.headersSent) res.setHeader('Connection', 'close');
          else res.once('finish', () => res.socket?.end());
        }
        const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        force.unref();
        server.close((err) => {
          clearTimeout(force);
          if (err) reject(err);
          else resolve();
        });
        // SDK clients keep idle sockets alive; do not wait for them.
        server.closeIdleConnections();
      }),
  };
}
