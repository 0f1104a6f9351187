/**
 * The two adapters nearly every handler needs, built one way. Each is its own function so a
 * handler that does not call one does not bundle its client (the SDK packages are side-effect free).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type ClientOptions, makeClient } from '../../aws/clients.js';
import { EventBridgePublisher } from '../../aws/events.js';
import { SfnOrchestrator } from '../../aws/sfn.js';
import { DynamoStore } from '../../aws/store.js';
import type { DeploymentStore, EventPublisher, Orchestrator } from '../../core/ports.js';
import type { HandlerEnv } from './env.js';

export function storeFor(opts: ClientOptions, env: HandlerEnv): DeploymentStore {
  const doc = DynamoDBDocumentClient.from(makeClient(DynamoDBClient, opts, 'dynamodb'), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return new DynamoStore(doc, env.tableName);
}

export function publisherFor(opts: ClientOptions, env: HandlerEnv): EventPublisher {
  return new EventBridgePublisher(makeClient(EventBridgeClient, opts), env.eventBusName);
}

export function orchestratorFor(opts: ClientOptions): Orchestrator {
  return new SfnOrchestrator(makeClient(SFNClient, opts));
}
