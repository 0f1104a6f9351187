/**
 * The deployment store (DynamoDB through the document client), built one way for every handler
 * that keeps state; the maintenance and release stores use the same document client. Its own module because @aws-sdk/lib-dynamodb is not side-effect free: a handler
 * bundles it only by importing this file.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type ClientOptions, makeClient } from '../../aws/clients.js';
import { DynamoStore } from '../../aws/store.js';
import type { DocumentTable } from '../../aws/store-items.js';
import type { Clock, DeploymentStore } from '../../core/ports.js';
import type { HandlerEnv } from './env.js';

/** The document client every store adapter is built on (optional attributes left out, not written as null). */
export function documentClientFor(opts: ClientOptions): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(makeClient(DynamoDBClient, opts, 'dynamodb'), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

/** The table for store operations bound one by one (`bindTable`): a handler bundles only those it binds. */
export function tableFor(opts: ClientOptions, env: HandlerEnv, clock: Clock = { now: () => Date.now() }): DocumentTable {
  return { doc: documentClientFor(opts), tableName: env.tableName, clock };
}

export function storeFor(opts: ClientOptions, env: HandlerEnv): DeploymentStore {
  return new DynamoStore(documentClientFor(opts), env.tableName);
}
