/**
 * prepare: `validate` (before the lock) and `inspect` (after it), against the real store over
 * dynalite and in-memory ALB / ECS / ECR.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { DeployRequest } from '../../functions/core/deploy-state.js';
import { ImageNotFound, ImageRejected, LiveStateInvalid, UnknownService, ValidationError } from '../../functions/core/errors.js';
import { LifecycleEvent } from '../../functions/core/model.js';
import {
  ACCOUNT,
  ARN,
  BLUE_TASK_SET,
  CLUSTER,
  digestOf,
  ECS_SERVICE,
  REGION,
  REPOSITORY,
  testConfig,
  useDynalite,
  WEB_ALARMS,
  WEB_ROUTE,
  World,
} from '../helpers/fakes.js';

const db = useDynalite();
let w: World;
beforeEach(async () => {
  w = (await World.create(db)).seed();
});

const uriOf = (digest: string) => `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${REPOSITORY}@${digest}`;

describe('prepare validate', () => {
  it('a requestedAt beyond the clock skew is a ValidationError and writes nothing; a slightly early one is taken as now (issue #14, item 3)', async () => {
    const far = w.request(1, { requestedAt: '2099-01-01T00:00:00Z' });
    await expect(w.validated(far)).rejects.toThrow(ValidationError);
    await expect(w.validated(far)).rejects.toThrow(/requestedAt/);
    expect(await w.store.getDeployment('web', 'production', far.deploymentId)).toBeUndefined();
    const skewed = w.request(2, { requestedAt: new Date(w.clock.now() + 60_000).toISOString() });
    expect((await w.validated(skewed)).request.requestedAt).toBe(w.clock.iso());
  });

  it('creates a QUEUED record with the image by digest, the strategy and the watched alarms', async () => {
    // Prepare
    const req = w.request(1);
    // Act
    const state = await w.validated(req);
    // Assess
    expect(state.request.image.uri).toBe(uriOf(req.image.digest));
    expect(state.executionArn).toBe(w.executionArn(req));
    const record = await w.store.getDeployment('web', 'production', req.deploymentId);
    expect(record).toMatchObject({
      status: 'QUEUED',
      image: { repository: REPOSITORY, digest: req.image.digest, tag: 'v1', uri: uriOf(req.image.digest) },
      strategy: 'canary',
      alarmNames: [...WEB_ALARMS],
      executionArn: w.executionArn(req),
    });
    expect(record?.timeline.map((e) => e.key)).toEqual(['queued']);
  });

  it('fills the trigger default for a hand-typed input without one', async () => {
    const { trigger: _omit, ...typed } = w.request(1);
    const state = await w.prepare({ action: 'validate', state: typed, executionName: typed.deploymentId });
    expect(state.request.trigger).toEqual({ kind: 'manual' });
  });

  it('is idempotent: a replay returns the same state and leaves one record', async () => {
    const req = w.request(1);
    const first = await w.validated(req);
    const before = await w.store.getDeployment('web', 'production', req.deploymentId);
    w.clock.advanceSeconds(5);
    const second = await w.validated(req);
    expect(second).toEqual(first);
    expect(await w.store.getDeployment('web', 'production', req.deploymentId)).toEqual(before);
    expect(await w.store.listDeployments('web', 'production')).toHaveLength(1);
  });

  const bad: Array<{ name: string; input: (r: DeployRequest) => unknown; error: typeof ValidationError | typeof UnknownService; field?: string }> = [
    { name: 'no digest', input: (r) => ({ ...r, image: { repository: r.image.repository } }), error: ValidationError, field: 'image.digest' },
    { name: 'a tag for a digest', input: (r) => ({ ...r, image: { ...r.image, digest: 'latest' } }), error: ValidationError, field: 'image.digest' },
    { name: 'an unknown key (typo)', input: (r) => ({ ...r, enviroment: 'production' }), error: ValidationError, field: '(root)' },
    { name: 'requestedAt that is not a date', input: (r) => ({ ...r, requestedAt: 'yesterday' }), error: ValidationError, field: 'requestedAt' },
    { name: 'a deploymentId that cannot name an execution', input: (r) => ({ ...r, deploymentId: 'has spaces' }), error: ValidationError, field: 'deploymentId' },
    { name: 'an unknown trigger kind', input: (r) => ({ ...r, trigger: { kind: 'cron' } }), error: ValidationError, field: 'trigger.kind' },
    { name: 'a repository that does not feed the service', input: (r) => ({ ...r, image: { ...r.image, repository: 'shop/checkout' } }), error: ValidationError, field: 'image.repository' },
    { name: 'an image URI by tag', input: (r) => ({ ...r, image: { ...r.image, uri: uriOf('x').replace(/@x$/, ':v1') } }), error: ValidationError, field: 'image.uri' },
    { name: 'not an object', input: () => 'deploy web please', error: ValidationError, field: '(root)' },
    { name: 'an unknown service', input: (r) => ({ ...r, service: 'billing' }), error: UnknownService },
    { name: 'a known service in an unknown environment', input: (r) => ({ ...r, environment: 'qa' }), error: UnknownService },
  ];
  it.each(bad)('$name -> $error.name, and nothing is written', async ({ input, error, field }) => {
    // Prepare
    const raw = input(w.request(1));
    // Act
    const thrown = await w.prepare({ action: 'validate', state: raw, executionArn: 'arn:x' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    // Assess
    expect(thrown).toBeInstanceOf(error);
    if (field) expect((thrown as ValidationError).problems.some((p) => p.startsWith(`${field}`)), String(thrown)).toBe(true);
    expect(await w.store.listInFlight()).toEqual([]);
    expect(await w.store.listDeployments('web', 'production')).toEqual([]);
    expect(await w.store.getLock('web', 'production')).toBeUndefined();
  });

  // BUG (functions/handlers/prepare.ts, validate): `createDeployment` returns the existing record on
  // replay, whatever its status, and validate carries on. A second execution for a deploymentId
  // that already ended (a manual re-run of the same digest, or the same execution name after 90
  // days) then takes the lock and fails in Inspect on the terminal record (ConflictError); when the
  // first run ended other than FAILED (ROLLED_BACK, SUCCEEDED, SUPERSEDED), FailDeployment's
  // `finish(FAILED)` throws ConflictError as well and the lock is never released.
  // Fix: when `created` is false and the record is terminal, throw a named error (ValidationError:
  // "deployment X already ended as ROLLED_BACK; start it with a new deploymentId").
  it('rejects an input whose deployment already ended, before the lock is taken', async () => {
    const req = w.request(1);
    const registered = await w.registered(req);
    await w.rollback({ state: { ...registered, error: { Error: 'Aborted', Cause: 'operator abort' } } });
    const again = await w.validated(req).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(['ValidationError', 'ConflictError']).toContain(again?.name);
  });

  it('an unknown action is a ValidationError naming it', async () => {
    await expect(w.prepare({ action: 'deploy', state: w.request(1) })).rejects.toThrow(/action/);
    await expect(w.prepare({ action: 'deploy', state: w.request(1) })).rejects.toThrow(ValidationError);
  });
});

describe('prepare inspect', () => {
  it('resolves blue and green from the listener weights and records IN_PROGRESS with the plan', async () => {
    // Prepare
    const req = w.request(1);
    const locked = await w.locked(req);
    // Act
    const state = await w.prepare({ action: 'inspect', state: locked });
    // Assess
    expect(state.ctx).toMatchObject({
      cluster: CLUSTER,
      ecsService: ECS_SERVICE,
      route: WEB_ROUTE,
      targetGroupArns: [ARN.webBlue, ARN.webGreen],
      blue: { targetGroupArn: ARN.webBlue, taskSetId: BLUE_TASK_SET, taskDefinitionArn: ARN.webTaskDefinition },
      greenTargetGroupArn: ARN.webGreen,
      firstDeployment: false,
      plan: { strategy: 'canary', steps: [{ kind: 'shift', percent: 10 }, { kind: 'bake', seconds: 300 }, { kind: 'shift', percent: 100 }] },
      desiredCount: 4,
      alarmNames: [...WEB_ALARMS],
      loadBalancerDimension: 'app/shop-alb/50dc6c495c0c9188',
      image: { digest: req.image.digest, uri: uriOf(req.image.digest) },
    });
    const record = await w.store.getDeployment('web', 'production', req.deploymentId);
    expect(record).toMatchObject({
      status: 'IN_PROGRESS',
      plan: state.ctx?.plan,
      blue: state.ctx?.blue,
      green: { targetGroupArn: ARN.webGreen },
    });
  });

  it('trusts AWS over the store: a stale stable pointer does not decide the live side', async () => {
    // Prepare: the live version runs on web-green (100 %), while the store's pointer still names web-blue.
    const other = await World.create(db);
    other.seed({ liveOn: 'web-green' });
    await other.store.setStable('web', 'production', {
      deploymentId: 'old',
      taskDefinitionArn: ARN.webTaskDefinition,
      targetGroupArn: ARN.webBlue,
      updatedAt: other.clock.iso(),
    });
    // Act
    const state = await other.inspected(other.request(1));
    // Assess
    expect(state.ctx?.blue?.targetGroupArn).toBe(ARN.webGreen);
    expect(state.ctx?.greenTargetGroupArn).toBe(ARN.webBlue);
    const started = (await other.store.getDeployment('web', 'production', state.request.deploymentId))?.timeline.find((e) => e.key === 'started');
    expect(started?.detail?.weights).toEqual(other.router.weightsOf(WEB_ROUTE));
  });

  it('publishes Deployment Started once, with the deployment and the image', async () => {
    const req = w.request(1);
    await w.inspected(req);
    expect(w.events.of(LifecycleEvent.Started)).toEqual([
      expect.objectContaining({
        deploymentId: req.deploymentId,
        service: 'web',
        environment: 'production',
        image: expect.objectContaining({ digest: req.image.digest }),
        strategy: 'canary',
        firstDeployment: false,
      }),
    ]);
  });

  it('puts traffic left split by an interrupted deployment back on the primary before starting', async () => {
    w.router.seed(WEB_ROUTE, [
      { targetGroupArn: ARN.webBlue, weight: 70 },
      { targetGroupArn: ARN.webGreen, weight: 30 },
    ]);
    const state = await w.inspected(w.request(1));
    expect(state.ctx?.blue?.targetGroupArn).toBe(ARN.webBlue);
    expect(w.router.weightsOf(WEB_ROUTE)).toEqual([
      { targetGroupArn: ARN.webBlue, weight: 100 },
      { targetGroupArn: ARN.webGreen, weight: 0 },
    ]);
  });

  it('ImageNotFound when the digest is not in the repository; the record stays QUEUED and nothing is announced', async () => {
    const req = w.request('never-pushed');
    const locked = await w.locked(req);
    await expect(w.prepare({ action: 'inspect', state: locked })).rejects.toThrow(ImageNotFound);
    expect((await w.store.getDeployment('web', 'production', req.deploymentId))?.status).toBe('QUEUED');
    expect(w.events.published).toEqual([]);
    expect(w.router.heldWrites(WEB_ROUTE)).toEqual([]);
  });

  describe('the scan gate', () => {
    const cases: Array<{ name: string; gate: string; findings: Record<string, number>; rejected: boolean }> = [
      { name: 'HIGH findings at gate HIGH', gate: 'HIGH', findings: { HIGH: 2, MEDIUM: 5 }, rejected: true },
      { name: 'CRITICAL findings at gate HIGH', gate: 'HIGH', findings: { CRITICAL: 1 }, rejected: true },
      { name: 'only MEDIUM findings at gate HIGH', gate: 'HIGH', findings: { MEDIUM: 9, LOW: 3 }, rejected: false },
      { name: 'MEDIUM findings at gate LOW', gate: 'LOW', findings: { MEDIUM: 1 }, rejected: true },
      { name: 'INFORMATIONAL findings at gate LOW', gate: 'LOW', findings: { INFORMATIONAL: 4 }, rejected: false },
      { name: 'CRITICAL findings with the gate off', gate: 'NONE', findings: { CRITICAL: 7 }, rejected: false },
      { name: 'a zero count at the gate', gate: 'HIGH', findings: { HIGH: 0 }, rejected: false },
    ];
    it.each(cases)('$name -> rejected: $rejected', async ({ gate, findings, rejected }) => {
      // Prepare
      const g = (await World.create(db, testConfig({ web: { imageScan: { blockSeverity: gate } } }))).seed();
      const req = g.request('scanned');
      g.images.put(REPOSITORY, { digest: req.image.digest, tags: [req.image.tag ?? 'v9'], scanStatus: 'COMPLETE', findingCounts: findings });
      const locked = await g.locked(req);
      // Act
      const outcome = await g.prepare({ action: 'inspect', state: locked }).then(
        () => 'continued',
        (e: unknown) => e,
      );
      // Assess
      if (!rejected) {
        expect(outcome).toBe('continued');
        return;
      }
      expect(outcome).toBeInstanceOf(ImageRejected);
      const err = outcome as ImageRejected;
      const [worst] = Object.entries(findings).filter(([, n]) => n > 0);
      expect(err.message).toContain(`${worst?.[0]}: ${worst?.[1]}`);
      expect(err.details).toMatchObject({ findingCounts: findings, blockSeverity: gate });
      expect((await g.store.getDeployment('web', 'production', req.deploymentId))?.status).toBe('QUEUED');
      expect(g.events.published).toEqual([]);
    });

    it('a scan that FAILED with onTimeout reject rejects the image', async () => {
      const g = (await World.create(db, testConfig({ web: { imageScan: { blockSeverity: 'HIGH', onTimeout: 'reject' } } }))).seed();
      const req = g.request('unscannable');
      g.images.put(REPOSITORY, { digest: req.image.digest, tags: [req.image.tag ?? 'v9'], scanStatus: 'FAILED' });
      await expect(g.prepare({ action: 'inspect', state: await g.locked(req) })).rejects.toThrow(ImageRejected);
    });

    // With scan-on-push the ECR push event arrives while the scan is still IN_PROGRESS: a scan younger
    // than imageScan.waitSeconds (from the image's pushedAt) is waited for (ImageScanPending, which
    // the ASL loops on through WaitForImageScan); onTimeout applies only after waitSeconds.
    it('does not reject an image whose scan is still IN_PROGRESS before imageScan.waitSeconds have passed', async () => {
      const g = (await World.create(db, testConfig({ web: { imageScan: { blockSeverity: 'HIGH', waitSeconds: 300 } } }))).seed();
      const req = g.request('just-pushed');
      g.images.put(REPOSITORY, { digest: req.image.digest, tags: [req.image.tag ?? 'v9'], pushedAt: g.clock.iso(), scanStatus: 'IN_PROGRESS' });
      const outcome = await g.prepare({ action: 'inspect', state: await g.locked(req) }).then(
        () => 'continued',
        (e: unknown) => e,
      );
      expect(outcome).not.toBeInstanceOf(ImageRejected);
    });
  });

  it('an ECS-controller service goes to the native engine (issue #17): without the native adapter, LiveStateInvalid and nothing published', async () => {
    const g = await World.create(db);
    g.seed();
    g.taskSets.addService(CLUSTER, ECS_SERVICE, { desiredCount: 4, deploymentController: 'ECS' });
    await expect(g.inspected(g.request(1))).rejects.toThrow(/native engine is not available/);
    expect(g.events.published).toEqual([]);
  });

  it('a CODE_DEPLOY service is refused with CodeDeployNotSupported, naming the steps to switch to the ECS controller', async () => {
    const g = await World.create(db);
    g.seed();
    g.taskSets.addService(CLUSTER, ECS_SERVICE, { desiredCount: 4, deploymentController: 'CODE_DEPLOY' });
    const error = await g.inspected(g.request(1)).then(() => undefined, (e: unknown) => e as Error);
    expect(error?.name).toBe('CodeDeployNotSupported');
    expect(error?.message).toMatch(/switch it in place to the ECS controller/);
    expect(g.events.published).toEqual([]);
  });

  it('a first deployment without services[].bootstrap is LiveStateInvalid, naming the fix', async () => {
    const g = await World.create(db);
    g.router.seed(WEB_ROUTE, [{ targetGroupArn: ARN.webBlue, weight: 100 }]);
    g.taskSets.addService(CLUSTER, ECS_SERVICE, { desiredCount: 2 });
    g.images.put(REPOSITORY, { digest: digestOf(1), tags: ['v1'] });
    await expect(g.inspected(g.request(1))).rejects.toThrow(/bootstrap/);
  });

  it('a first deployment puts green on the target group the listener already sends everything to, all at once', async () => {
    const g = await World.create(
      db,
      testConfig({
        web: { bootstrap: { taskDefinition: 'web', containerPort: 8080, subnets: ['subnet-0abc1234'] } },
      }),
    );
    g.router.seed(WEB_ROUTE, [{ targetGroupArn: ARN.webGreen, weight: 100 }]);
    g.taskSets.addService(CLUSTER, ECS_SERVICE, { desiredCount: 2 });
    g.images.put(REPOSITORY, { digest: digestOf(1), tags: ['v1'] });
    const state = await g.inspected(g.request(1));
    expect(state.ctx).toMatchObject({
      firstDeployment: true,
      greenTargetGroupArn: ARN.webGreen,
      plan: { strategy: 'first-deployment', steps: [{ kind: 'shift', percent: 100 }] },
      terminationWaitSeconds: 0,
    });
    expect(state.ctx?.blue).toBeUndefined();
  });

  // BUG (functions/handlers/prepare.ts, inspect, the `blue` Side built from `primary`): blue's task
  // set is the PRIMARY one whatever target group it is attached to, while blue's target group comes
  // from the listener. When they disagree (e.g. a rollback that put the weights back on web-blue but
  // could not make the web-blue task set primary again), the deployment pairs web-blue with a task
  // set that serves web-green, creates green on web-green next to it (mixed versions behind one
  // target group), and RetireBlue later deletes the wrong task set. Expected: take blue's task set
  // from those attached to the live target group (prefer PRIMARY), or throw LiveStateInvalid.
  it('never pairs the live target group with a task set attached to the other one', async () => {
    const g = await World.create(db);
    g.seed(); // listener 100 % on web-blue, PRIMARY task set on web-blue
    const stale = g.taskSets.addTaskSet(CLUSTER, ECS_SERVICE, {
      status: 'ACTIVE',
      taskDefinitionArn: ARN.webTaskDefinition,
      targetGroupArn: ARN.webGreen,
    });
    await g.taskSets.setPrimary(CLUSTER, ECS_SERVICE, stale.id); // primary now serves the 0 % group
    const outcome = await g.inspected(g.request(1)).then(
      (s) => s,
      (e: unknown) => e,
    );
    if (outcome instanceof LiveStateInvalid) return;
    const ctx = (outcome as Awaited<ReturnType<World['inspected']>>).ctx;
    const blueSet = g.taskSets.find(CLUSTER, ECS_SERVICE, ctx?.blue?.taskSetId ?? '');
    expect(blueSet?.targetGroupArns).toContain(ctx?.blue?.targetGroupArn);
  });
});
