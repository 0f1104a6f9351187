/**
 * The store of the local runtime: dynalite — a real DynamoDB implementation — in this process and
 * in memory, on a free loopback port, with Cutover's table created the way the CDK creates it.
 */
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { makeClient } from '../functions/aws/clients.js';
import { createStoreTable } from '../functions/aws/store-table.js';

/** dynalite checks no credentials; these are never real ones. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

export interface LocalDynamo {
  readonly endpoint: string;
  readonly tableName: string;
  close(): Promise<void>;
}

export async function startLocalDynamo(tableName = 'cutover-local', region = 'us-east-1'): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = makeClient(DynamoDBClient, { region, dynamodbEndpoint: endpoint, credentials: LOCAL_CREDENTIALS }, 'dynamodb');
  await createStoreTable(client, tableName);
  client.destroy();
  return {
    endpoint,
    tableName,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // SDK clients keep sockets alive; do not wait for them.
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
