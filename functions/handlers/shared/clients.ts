/**
 * The event publisher and the orchestrator, built one way. Each is its own function so a handler
 * that does not call one does not bundle its client (the SDK client packages are side-effect free).
 * The store is in ./store.ts: @aws-sdk/lib-dynamodb is not side-effect free, so keeping it here
 * would bundle it into every handler that imports this module (intake, which has no store).
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { type ClientOptions, makeClient } from '../../aws/clients.js';
import { EventBridgePublisher } from '../../aws/events.js';
import { SfnOrchestrator } from '../../aws/sfn.js';
import type { EventPublisher, Orchestrator } from '../../core/ports.js';
import type { HandlerEnv } from './env.js';

export function publisherFor(opts: ClientOptions, env: HandlerEnv): EventPublisher {
  return new EventBridgePublisher(makeClient(EventBridgeClient, opts), env.eventBusName);
}

export function orchestratorFor(opts: ClientOptions): Orchestrator {
  return new SfnOrchestrator(makeClient(SFNClient, opts));
}
