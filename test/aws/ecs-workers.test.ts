/** ECS adapter pieces workers need: the version variables of a registered revision, green's tasks, a task set with no load balancer. */
import { describe, expect, it } from 'vitest';
import { EcsTasks, registerInputWithImage } from '../../functions/aws/ecs.js';
import { revisionEnvironment } from '../../functions/handlers/register.js';
import { stoppedSummary } from '../../functions/handlers/green.js';
import { World } from '../../local/world/world.js';
import { clientsFor, GOOD, ManualClock } from '../local/world.fixtures.js';

describe('registerInputWithImage: CUTOVER_VERSION and CUTOVER_COLOR', () => {
  const described = {
    family: 'orders',
    containerDefinitions: [
      { name: 'worker', image: 'old', environment: [{ name: 'QUEUE', value: 'orders' }, { name: 'CUTOVER_VERSION', value: 'older' }, { name: 'CUTOVER_COLOR', value: 'blue' }] },
      { name: 'sidecar', image: 'side', environment: [{ name: 'X', value: '1' }] },
    ],
  };

  it('sets both in the target container, replacing earlier values and keeping the other variables', () => {
    const input = registerInputWithImage(described, undefined, 'worker', 'new@sha256:1', revisionEnvironment('orders-prod-1a2b'));
    expect(input.containerDefinitions?.[0]?.environment).toEqual([
      { name: 'QUEUE', value: 'orders' },
      { name: 'CUTOVER_VERSION', value: 'orders-prod-1a2b' },
      { name: 'CUTOVER_COLOR', value: 'green' },
    ]);
    expect(input.containerDefinitions?.[0]?.image).toBe('new@sha256:1');
    // Other containers are untouched.
    expect(input.containerDefinitions?.[1]?.environment).toEqual([{ name: 'X', value: '1' }]);
  });

  it('without variables the environment is carried over as it is', () => {
    const input = registerInputWithImage(described, undefined, 'worker', 'new@sha256:1');
    expect(input.containerDefinitions?.[0]?.environment).toEqual(described.containerDefinitions[0]?.environment);
  });
});

describe('EcsTasks on the world', () => {
  it("lists a worker task set's running tasks by startedBy (the task set id)", async () => {
    const clock = new ManualClock();
    const world = new World({ clock, seed: 5 });
    const seeded = world.createWorkerService({ cluster: 'prod', service: 'orders', desiredCount: 3, containerName: 'worker', initialImage: { repository: 'orders', digest: GOOD } });
    const { ecs } = clientsFor(world);
    const running = await new EcsTasks(ecs).tasksOfTaskSet('prod', seeded.taskSetId as string, 'RUNNING');
    expect(running).toHaveLength(3);
    expect(running.every((t) => t.lastStatus === 'RUNNING')).toBe(true);
    expect(await new EcsTasks(ecs).tasksOfTaskSet('prod', seeded.taskSetId as string, 'STOPPED')).toEqual([]);
  });
});

describe('stoppedSummary', () => {
  it("names ECS's stopped reason and each container's exit code and reason", () => {
    expect(
      stoppedSummary([
        {
          taskArn: 'arn:aws:ecs:us-east-1:1:task/prod/abc',
          lastStatus: 'STOPPED',
          stoppedReason: 'Essential container in task exited',
          containers: [{ name: 'worker', exitCode: 137, reason: 'OutOfMemoryError: Container killed due to memory usage' }],
        },
      ]),
    ).toBe('task abc stopped: Essential container in task exited; container worker exit code 137 (OutOfMemoryError: Container killed due to memory usage)');
  });
});
