/**
 * EventBridge target for `aws.ecr` / `ECR Image Action` (PUSH, SUCCESS): starts what the push
 * deploys (shared/push.ts, the one path the reconcile sweep's lost-push recovery takes too): with
 * more than one environment one release, otherwise one deploy execution per service fed by the
 * repository whose tag filter matches. The image goes by digest; the same event delivered twice
 * starts one execution, and a later push of a digest whose last deployment ended starts a new one.
 *
 * An event it refuses (malformed, foreign, wrong source or detail-type) is answered `rejected`, not
 * thrown (shared/rejection.ts): a retry would fail the same way. That includes a tag ECR takes but
 * Docker and Cutover do not (129-300 characters, issue #14 Low): `rejected` on `detail.image-tag`.
 */
import { ECRClient } from '@aws-sdk/client-ecr';
import { type ClientOptions, clientOptionsFromEnv, makeClient } from '../aws/clients.js';
import { EcrImages } from '../aws/ecr.js';
import { servicesForPush } from '../core/services.js';
import { EcrImageActionEvent, parseEvent } from '../core/events.js';
import type { ImageRegistry, Orchestrator } from '../core/ports.js';
import { orchestratorFor } from './shared/clients.js';
import { envFromProcess, type HandlerEnv } from './shared/env.js';
import { type DeploymentMetrics, emfMetrics } from './shared/metrics.js';
import { startForPush } from './shared/push.js';
import { parseOrReject, type RejectedEvent } from './shared/rejection.js';
import { type Handler, lazy, makeLogger, wrap } from './shared/runtime.js';

export interface IntakeDeps {
  readonly env: HandlerEnv;
  readonly orchestrator: Orchestrator;
  /** ECR's push time of the image (the trusted time the deployment is ordered by). */
  readonly images: Pick<ImageRegistry, 'describeImage'>;
  /** `RejectedEvents` (EMF). */
  readonly deploymentMetrics?: DeploymentMetrics;
  readonly logLevel?: string;
}

export interface IntakeResult {
  readonly ignored?: string;
  /** The event was refused (logged at WARN, counted in `RejectedEvents`); nothing started. */
  readonly rejected?: RejectedEvent;
  readonly started: readonly { deploymentId: string; executionArn: string; alreadyStarted: boolean }[];
  /** Set instead of `started` when more than one environment is configured: the release it started. */
  readonly release?: { releaseId: string; executionArn: string; alreadyStarted: boolean };
}

export function createHandler(deps: IntakeDeps): Handler<unknown, IntakeResult> {
  const logger = makeLogger('cutover-intake', deps.logLevel);
  return wrap(logger, async (raw: unknown) => {
    const parsed = parseOrReject(
      () => parseEvent(EcrImageActionEvent, raw, { source: 'aws.ecr', detailType: 'ECR Image Action' }, deps.env),
      logger,
      deps.deploymentMetrics,
    );
    if (parsed.rejected) return { rejected: parsed.rejected, started: [] };
    const event = parsed.event;
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
    const result = await startForPush(
      deps,
      {
        repository: d['repository-name'],
        digest: d['image-digest'],
        ...(d['image-tag'] ? { tag: d['image-tag'] } : {}),
        eventTime: event.time,
        eventId: event.id,
        trigger: 'ecr-push',
      },
      services,
    );
    if (result.release) {
      logger.info(result.release.alreadyStarted ? 'release already started' : 'release started', { ...result.release });
      return { started: [], release: result.release };
    }
    for (const s of result.started) logger.info(s.alreadyStarted ? 'already started' : 'started', { ...s });
    return { started: result.started };
  });
}

export function makeDeps(opts: ClientOptions, env: HandlerEnv): IntakeDeps {
  return { env, orchestrator: orchestratorFor(opts), images: new EcrImages(makeClient(ECRClient, opts)), deploymentMetrics: emfMetrics('cutover-intake') };
}

export const handler = lazy(() => createHandler(makeDeps(clientOptionsFromEnv(), envFromProcess())));
