/**
 * EventBridge target for "ECS Deployment State Change" (source aws.ecs) of the services that may
 * deploy natively (engine native, issue #17): the in-flight Cutover deployment of that service whose
 * service deployment has ended (DescribeServiceDeployments: the event says only that something
 * changed) gets the deploy state machine's wait token answered with how it ended. A service the
 * configuration does not name, a deployment not yet ended, or one with no token waiting (the wait
 * looks once itself when it stores its token; the late-event fallback is the wait's timeout and
 * CheckNativeDeployment) changes nothing.
 */
import { ECSClient } from '@aws-sdk/client-ecs';
import * as z from 'zod/mini';
import { type ClientOptions, clientOptionsFromEnv, makeClient } from '../aws/clients.js';
import { EcsNativeDeployments } from '../aws/ecs-native.js';
import type { Clock, DeploymentStore, NativeDeployments, Orchestrator } from '../core/ports.js';
import { parseOrThrow } from '../core/validation.js';
import { orchestratorFor } from './shared/clients.js';
import { envFromProcess, type HandlerEnv } from './shared/env.js';
import { type Handler, lazy, makeLogger, wrap } from './shared/runtime.js';
import { storeFor } from './shared/store.js';
import { endedOf, nativeDeploymentOf } from './shared/native.js';

export interface NativeEventDeps {
  readonly env: HandlerEnv;
  readonly clock: Clock;
  readonly native: Pick<NativeDeployments, 'describeDeployment'>;
  readonly store: DeploymentStore;
  readonly orchestrator: Orchestrator;
  readonly logLevel?: string;
}

const StateChange = z.object({
  source: z.literal('aws.ecs'),
  'detail-type': z.literal('ECS Deployment State Change'),
  resources: z.array(z.string()),
  detail: z.object({ eventName: z.optional(z.string()), reason: z.optional(z.string()) }),
});

export interface NativeEventResult {
  readonly answered: readonly string[];
  readonly ignored?: string;
}

export function createHandler(deps: NativeEventDeps): Handler<unknown, NativeEventResult> {
  const logger = makeLogger('cutover-native-event', deps.logLevel);
  return wrap(logger, async (raw: unknown) => {
    const event = parseOrThrow(StateChange, raw, 'ECS deployment state change event');
    const serviceArn = event.resources[0] ?? '';
    // arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/SERVICE
    const [, cluster, name] = serviceArn.split(':')[5]?.split('/') ?? [];
    const svc = deps.env.config.services.find((s) => s.cluster === cluster && s.service === name);
    if (!svc) return { answered: [], ignored: `no configured service is ${serviceArn}` };
    const records = (await deps.store.listInFlight()).filter((r) => r.service === svc.name && r.environment === svc.environment);
    const answered: string[] = [];
    for (const record of records) {
      const arn = nativeDeploymentOf(record);
      if (!arn || !record.taskToken) continue;
      const ended = endedOf(await deps.native.describeDeployment(arn));
      if (!ended.terminal) continue;
      await deps.store.setTaskToken(record.service, record.environment, record.deploymentId, undefined);
      await deps.orchestrator.sendTaskSuccess(record.taskToken, ended);
      logger.info('native deployment ended; wait answered', { deploymentId: record.deploymentId, status: ended.status });
      answered.push(record.deploymentId);
    }
    return { answered };
  });
}

export function makeDeps(opts: ClientOptions, env: HandlerEnv, clock: Clock = { now: () => Date.now() }): NativeEventDeps {
  return { env, clock, native: new EcsNativeDeployments(makeClient(ECSClient, opts)), store: storeFor(opts, env), orchestrator: orchestratorFor(opts) };
}

export const handler = lazy(() => createHandler(makeDeps(clientOptionsFromEnv(), envFromProcess())));
