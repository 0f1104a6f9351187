/** register: the stable revision with only the target container's image changed to the digest. */
import { beforeEach, describe, expect, it } from 'vitest';
import { LiveStateInvalid, TaskRoleNotAllowed, ValidationError } from '../../functions/core/errors.js';
import { ACCOUNT, ARN, CLUSTER, CONTAINER, digestOf, REGION, REPOSITORY, testConfig, useDynalite, WEB_ROUTE, World } from '../helpers/fakes.js';

const db = useDynalite();
let w: World;
beforeEach(async () => {
  w = (await World.create(db)).seed();
});

describe('register', () => {
  it("copies blue's revision with only the target container's image replaced, by digest", async () => {
    // Prepare
    const req = w.request(1);
    const inspected = await w.inspected(req);
    const before = w.taskDefinitions.imagesOf(ARN.webTaskDefinition);
    // Act
    const state = await w.register({ state: inspected });
    // Assess
    const uri = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${REPOSITORY}@${req.image.digest}`;
    expect(state.taskDefinitionArn).toBe(`arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/web:8`);
    expect(w.taskDefinitions.imagesOf(state.taskDefinitionArn ?? '')).toEqual({ ...before, [CONTAINER]: uri });
    expect(w.taskDefinitions.registrations).toEqual([
      { fromArn: ARN.webTaskDefinition, containerName: CONTAINER, imageUri: uri, arn: state.taskDefinitionArn },
    ]);
    const record = await w.store.getDeployment('web', 'production', req.deploymentId);
    expect(record?.green).toEqual({ targetGroupArn: ARN.webGreen, taskDefinitionArn: state.taskDefinitionArn });
  });

  it('reuses the registered revision on retry (the record already names it): one revision, same ARN', async () => {
    const inspected = await w.inspected(w.request(1));
    const first = await w.register({ state: inspected });
    const retry = await w.register({ state: inspected });
    expect(retry.taskDefinitionArn).toBe(first.taskDefinitionArn);
    expect(w.taskDefinitions.registrations).toHaveLength(1);
  });

  it('a first deployment starts from the configured bootstrap task definition', async () => {
    const g = await World.create(
      db,
      testConfig({ web: { bootstrap: { taskDefinition: 'web', containerPort: 8080, subnets: ['subnet-0abc1234'] } } }),
    );
    g.router.seed(WEB_ROUTE, [{ targetGroupArn: ARN.webBlue, weight: 100 }]);
    g.taskSets.addService(CLUSTER, 'web', { desiredCount: 2 });
    g.taskDefinitions.add(`arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/web:3`, { [CONTAINER]: 'nginx:1' });
    g.images.put(REPOSITORY, { digest: digestOf(1), tags: ['v1'] });
    const state = await g.registered(g.request(1));
    expect(g.taskDefinitions.registrations[0]?.fromArn).toBe('web');
    expect(state.taskDefinitionArn).toMatch(/task-definition\/web:4$/);
  });

  it('a state without ctx (a hand-made input) is a ValidationError naming ctx', async () => {
    const validated = await w.validated(w.request(1));
    await expect(w.register({ state: validated })).rejects.toThrow(ValidationError);
    await expect(w.register({ state: validated })).rejects.toThrow(/ctx/);
  });

  describe('the roles it carries over must be ones taskRoleArns names (it passes them to ECS)', () => {
    const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
    /** A world whose live revision (web:7) carries these roles, with this taskRoleArns. */
    async function withRoles(taskRoleArns: string[], roles: { taskRoleArn?: string; executionRoleArn?: string }): Promise<World> {
      const g = (await World.create(db, { ...testConfig(), taskRoleArns })).seed();
      g.taskDefinitions.add(ARN.webTaskDefinition, g.taskDefinitions.imagesOf(ARN.webTaskDefinition) ?? {}, roles);
      return g;
    }

    const WEB_ROLES = { taskRoleArn: role('web-task'), executionRoleArn: role('web-execution') };
    it.each([
      ['both by name', [role('web-task'), role('web-execution')], WEB_ROLES],
      ['by a naming prefix', [role('web-*')], WEB_ROLES],
      ['by a role path', [role('ecs-tasks/*')], { taskRoleArn: role('ecs-tasks/web-task'), executionRoleArn: role('ecs-tasks/web-execution') }],
    ] as const)('registers when taskRoleArns names the task and execution roles %s', async (_name, patterns, roles) => {
      const g = await withRoles([...patterns], roles);
      const state = await g.registered(g.request(1));
      expect(state.taskDefinitionArn).toMatch(/task-definition\/web:8$/);
      expect(g.taskDefinitions.registrations).toHaveLength(1);
    });

    it.each([
      ['an unrelated task role', { taskRoleArn: role('OrganizationAccountAccessRole'), executionRoleArn: role('web-execution') }, /taskRoleArn .*OrganizationAccountAccessRole/],
      ['a look-alike execution role', { taskRoleArn: role('web-task'), executionRoleArn: role('web-execution-admin') }, /executionRoleArn .*web-execution-admin/],
    ] as const)('TaskRoleNotAllowed for %s: nothing registered, the record names no revision', async (_name, roles, message) => {
      // Prepare
      const g = await withRoles([role('web-task'), role('web-execution')], roles);
      const req = g.request(1);
      const inspected = await g.inspected(req);
      // Act
      const register = g.register({ state: inspected });
      // Assess
      await expect(register).rejects.toThrow(TaskRoleNotAllowed);
      await expect(g.register({ state: inspected })).rejects.toThrow(message);
      expect(g.taskDefinitions.registrations).toEqual([]);
      expect((await g.store.getDeployment('web', 'production', req.deploymentId))?.green?.taskDefinitionArn).toBeUndefined();
    });

    it('with taskRoleArns empty (the default), a revision with roles is refused and one without is registered', async () => {
      const refused = await withRoles([], { executionRoleArn: role('web-execution') });
      await expect(refused.registered(refused.request(1))).rejects.toThrow(/taskRoleArns is empty/);
      const roleless = await withRoles([], {});
      await expect(roleless.registered(roleless.request(1))).resolves.toMatchObject({ taskDefinitionArn: expect.stringMatching(/web:8$/) });
    });
  });

  it('LiveStateInvalid when there is neither a blue revision nor a bootstrap one', async () => {
    const inspected = await w.inspected(w.request(1));
    const { blue: _none, ...ctx } = inspected.ctx ?? ({} as NonNullable<typeof inspected.ctx>);
    await expect(w.register({ state: { ...inspected, ctx } })).rejects.toThrow(LiveStateInvalid);
  });
});
