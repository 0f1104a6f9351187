/**
 * A real DynamoDB implementation (dynalite) in this process, in memory, on a free port.
 * No network beyond 127.0.0.1; tests create their own table with `createStoreTable`.
 */
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { makeClient } from '../../functions/aws/clients.js';
import { createStoreTable } from '../../functions/aws/store-table.js';

/** Credentials dynalite accepts (it checks none); never real ones. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

export interface RunningDynalite {
  readonly endpoint: string;
  close(): Promise<void>;
}

export async function startDynalite(): Promise<RunningDynalite> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}

/** A DynamoDB client for the running dynalite (fake credentials, Cutover's client config). */
export function dynaliteClient(endpoint: string): DynamoDBClient {
  return makeClient(DynamoDBClient, { region: 'eu-west-1', dynamodbEndpoint: endpoint, credentials: LOCAL_CREDENTIALS }, 'dynamodb');
}

let tableCounter = 0;
/** A fresh table with the store's layout; returns its name and a document client. */
export async function freshStoreTable(
  client: DynamoDBClient,
): Promise<{ tableName: string; doc: DynamoDBDocumentClient }> {
  tableCounter += 1;
  const tableName = `cutover-test-${process.pid}-${tableCounter}`;
  await createStoreTable(client, tableName);
  return { tableName, doc: DynamoDBDocumentClient.from(client) };
}

/** Re-exported for callers that think of it as the helper's job. */
export { createStoreTable as createCutoverTable };
