/**
 * EventBridge target for `aws.ecr` / `ECR Image Action` (PUSH, SUCCESS): starts the deploy state
 * machine for every service fed by the repository whose tag filter matches. The image goes by
 * digest; the execution name is derived from service, environment and digest, so the same event
 * delivered twice starts one deployment.
 */
import { type ClientOptions, clientOptionsFromEnv } from '../aws/clients.js';
import { servicesForPush } from '../core/services.js';
import { type DeployRequest, deploymentIdFor, imageUri } from '../core/deploy-state.js';
import { EcrImageActionEvent, parseEvent } from '../core/events.js';
import type { Orchestrator } from '../core/ports.js';
import { type ReleaseRequestDocument, releaseIdFor } from '../core/release.js';
import { orchestratorFor } from './shared/clients.js';
import { envFromProcess, type HandlerEnv } from './shared/env.js';
import { type Handler, lazy, makeLogger, wrap } from './shared/runtime.js';

export interface IntakeDeps {
  readonly env: HandlerEnv;
  readonly orchestrator: Orchestrator;
  readonly logLevel?: string;
}

export interface IntakeResult {
  readonly ignored?: string;
  readonly started: readonly { deploymentId: string; executionArn: string; alreadyStarted: boolean }[];
  /** Set instead of `started` when more than one environment is configured: the release it started. */
  readonly release?: { releaseId: string; executionArn: string; alreadyStarted: boolean };
}

export function createHandler(deps: IntakeDeps): Handler<unknown, IntakeResult> {
  const logger = makeLogger('cutover-intake', deps.logLevel);
  return wrap(logger, async (raw: unknown) => {
    const event = parseEvent(EcrImageActionEvent, raw, { source: 'aws.ecr', detailType: 'ECR Image Action' }, deps.env);
    const d = event.detail;
    logger.appendKeys({ eventId: event.id, repository: d['repository-name'], digest: d['image-digest'] });
    if (d['action-type'] !== 'PUSH' || d.result !== 'SUCCESS') {
      const ignored = `action-type ${d['action-type']} / result ${d.result}: only successful pushes deploy`;
      logger.info('ignored', { reason: ignored });
      return { ignored, started: [] };
    }
    const services = servicesForPush(deps.env.config, d['repository-name'], d['image-tag']);
    if (services.length === 0) {
      const ignored = `no managed service deploys ${d['repository-name']}:${d['image-tag'] ?? '(untagged)'}`;
      logger.info('ignored', { reason: ignored });
      return { ignored, started: [] };
    }
    if (deps.env.config.environments.length > 1 && deps.env.releaseStateMachineArn) {
      // More than one environment: the release pipeline takes the image through them in order
      // (the control plane sets CUTOVER_RELEASE_STATE_MACHINE_ARN whenever it has the release state machine).
      const releaseId = releaseIdFor(d['repository-name'], d['image-digest']);
      const input: ReleaseRequestDocument = {
        releaseId,
        image: { repository: d['repository-name'], digest: d['image-digest'], ...(d['image-tag'] ? { tag: d['image-tag'] } : {}) },
        requestedAt: event.time,
        trigger: { kind: 'ecr-push', eventId: event.id },
      };
      const result = await deps.orchestrator.start(deps.env.releaseStateMachineArn, releaseId, input);
      logger.info(result.alreadyStarted ? 'release already started' : 'release started', { releaseId, executionArn: result.executionArn });
      return { started: [], release: { releaseId, ...result } };
    }
    if (!deps.env.deployStateMachineArn) throw new Error('CUTOVER_DEPLOY_STATE_MACHINE_ARN is not set');
    const started = [];
    for (const svc of services) {
      const deploymentId = deploymentIdFor(svc.name, svc.environment, d['image-digest']);
      const request: DeployRequest = {
        deploymentId,
        service: svc.name,
        environment: svc.environment,
        image: {
          repository: d['repository-name'],
          digest: d['image-digest'],
          ...(d['image-tag'] ? { tag: d['image-tag'] } : {}),
          uri: imageUri(deps.env.accountId, deps.env.region, d['repository-name'], d['image-digest']),
        },
        requestedAt: event.time,
        trigger: { kind: 'ecr-push', eventId: event.id },
      };
      const result = await deps.orchestrator.start(deps.env.deployStateMachineArn, deploymentId, request);
      logger.info(result.alreadyStarted ? 'already started' : 'started', { deploymentId, executionArn: result.executionArn });
      started.push({ deploymentId, ...result });
    }
    return { started };
  });
}

export function makeDeps(opts: ClientOptions, env: HandlerEnv): IntakeDeps {
  return { env, orchestrator: orchestratorFor(opts) };
}

export const handler = lazy(() => createHandler(makeDeps(clientOptionsFromEnv(), envFromProcess())));
