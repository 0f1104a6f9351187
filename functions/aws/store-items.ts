/**
 * What every part of the deployment store shares (store.ts composes the parts): the item keys of the
 * table layout, the table as the operations see it, and the small read and write helpers.
 *
 * Each part (store-deployments.ts, store-lock.ts, store-stable.ts, store-managed.ts) is a set of
 * functions over a {@link DocumentTable}, so a handler that needs a few of them bundles only those
 * ({@link bindTable}); DynamoStore (store.ts) binds them all for callers that need the whole port.
 */
import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError, ValidationError } from '../core/errors.js';
import { TERMINAL_STATUSES } from '../core/model.js';
import type { Clock } from '../core/ports.js';
import { awsCall } from './aws-errors.js';

/** The table through the document client, and the clock that stamps `updatedAt` on changes. */
export interface DocumentTable {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly clock: Clock;
}

export const systemClock: Clock = { now: () => Date.now() };

export const INFLIGHT = 'INFLIGHT';
export const LOCK_SK = 'LOCK';
export const STABLE_SK = 'STABLE';
export const MANAGED_SK = 'MANAGED';
/** How often a lock or stable-pointer write that lost a race is retried before ConflictError. */
export const MAX_CONDITIONAL_ATTEMPTS = 10;

export const serviceKey = (service: string, environment: string): string => `SVC#${service}#${environment}`;
export const deploymentKey = (deploymentId: string): string => `DEP#${deploymentId}`;
export const inFlightSortKey = (service: string, environment: string, deploymentId: string): string =>
  `${service}#${environment}#${deploymentId}`;

/** Attributes of the table layout that are not part of the domain data. */
const INTERNAL_ATTRIBUTES = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'timelineKeys', 'entity', 'version', 'granted'] as const;

/** Deep copy without `undefined` (DynamoDB cannot store it; the doc client's options are not ours). */
export function withoutUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.filter((v) => v !== undefined).map(withoutUndefined) as T;
  if (value instanceof Set || value instanceof Uint8Array || value instanceof Date) return value;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, withoutUndefined(v)]),
    ) as T;
  }
  return value;
}

/** The domain data of an item (the table layout's attributes removed). */
export function stripInternal<T>(item: Record<string, unknown>): T {
  const out: Record<string, unknown> = { ...item };
  for (const a of INTERNAL_ATTRIBUTES) delete out[a];
  return out as T;
}

/** The item without the table keys (its `version` and `granted` kept). */
export function stripKeys<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, entity: _entity, ...rest } = item;
  return rest as T;
}

export function validateKeyPart(what: string, value: string): void {
  if (value === '' || value.includes('#')) {
    throw new ValidationError('Store key', [`${what}: "${value}" must be non-empty and must not contain "#"`]);
  }
}

export const TERMINAL_VALUES = Object.fromEntries(TERMINAL_STATUSES.map((s, i) => [`:terminal${i}`, s]));
export const NOT_TERMINAL = `NOT (#status IN (${Object.keys(TERMINAL_VALUES).join(', ')}))`;

export function nowIso(t: DocumentTable): string {
  return new Date(t.clock.now()).toISOString();
}

/** One item, strongly consistent. */
export async function getItem(t: DocumentTable, pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
  const out = await awsCall('DynamoDB:GetItem', () =>
    t.doc.send(new GetCommand({ TableName: t.tableName, Key: { pk, sk }, ConsistentRead: true })),
  );
  return out.Item;
}

/** Every item of a query, page after page. */
export async function queryAll(
  t: DocumentTable,
  input: { IndexName?: string; KeyConditionExpression: string; ExpressionAttributeValues: Record<string, unknown> },
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const exclusiveStartKey = startKey;
    const out = await awsCall('DynamoDB:Query', () =>
      t.doc.send(
        new QueryCommand({
          TableName: t.tableName,
          ...input,
          ...(exclusiveStartKey === undefined ? {} : { ExclusiveStartKey: exclusiveStartKey }),
        }),
      ),
    );
    items.push(...(out.Items ?? []));
    startKey = out.LastEvaluatedKey;
  } while (startKey !== undefined);
  return items;
}

export function notFound(deploymentId: string, what: string): ConflictError {
  return new ConflictError(`Cannot ${what} deployment ${deploymentId}: no such deployment`, { details: { deploymentId } });
}

/** The operations of one part, each with the table bound: `(table, ...args) => r` becomes `(...args) => r`. */
export type BoundToTable<O> = {
  readonly [K in keyof O]: O[K] extends (t: DocumentTable, ...args: infer A) => infer R ? (...args: A) => R : never;
};

/**
 * The store operations a handler uses, bound to its table: `bindTable(table, { getDeployment,
 * getLock })` is a `Pick<DeploymentStore, 'getDeployment' | 'getLock'>` that bundles only those two.
 */
export function bindTable<O extends Record<string, (t: DocumentTable, ...args: never[]) => unknown>>(
  table: DocumentTable,
  operations: O,
): BoundToTable<O> {
  const bound: Record<string, (...args: never[]) => unknown> = {};
  for (const [name, operation] of Object.entries(operations)) bound[name] = (...args) => operation(table, ...args);
  return bound as BoundToTable<O>;
}
