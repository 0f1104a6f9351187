/**
 * Which target group is live (blue) and which takes the new version (green), from what AWS holds.
 *
 * The listener's weights are the truth (DESIGN.md, deployment step 1): the store may be stale after
 * a crash or a manual change, the listener is not. Pure: the caller reads the weights and the
 * service's primary task set and records what was found.
 */
import { LiveStateInvalid } from './errors.js';
import type { TargetGroupWeight } from './model.js';

export interface LiveSide {
  /** The stable target group: production traffic is (mostly) here. */
  readonly blue: string;
  /** The other target group: the new version goes here. */
  readonly green: string;
  /**
   * True when both target groups carry traffic (e.g. 90/10 after an interrupted deployment); blue is
   * then the primary task set's target group, and the caller should first move all traffic back to
   * blue (a rollback of the interrupted deployment) before starting a new one.
   */
  readonly split: boolean;
}

const show = (weights: readonly TargetGroupWeight[]): string =>
  weights.length === 0 ? '(none)' : weights.map((w) => `${w.targetGroupArn}=${w.weight}`).join(', ');

/**
 * Resolve blue and green from the production listener's (or rule's) forward weights.
 *
 * - The target group at 100 is blue, the other of the service's two is green. A listener that
 *   forwards to only one of them (weight 100, the other not named) is the normal steady state; a
 *   first deployment (no primary task set yet) resolves the same way.
 * - A split (both > 0, e.g. A=90, B=10): blue is `primaryTaskSetTg` when it is one of the two, with
 *   `split: true`; without a usable primary task set the live side is unknowable.
 * - Anything else throws {@link LiveStateInvalid} with what was found and how to fix it: weights that
 *   name a target group that is not one of the service's two, name one twice, are not integers
 *   0..100, do not sum to 100, or a split with no primary task set on either target group.
 *
 * Examples (service target groups [A, B]):
 * - [A=100]                      -> { blue: A, green: B, split: false }
 * - [A=0, B=100]                 -> { blue: B, green: A, split: false }
 * - [A=90, B=10], primary on A   -> { blue: A, green: B, split: true }
 * - [A=90, B=10], no primary     -> LiveStateInvalid
 * - [A=100, C=0]                 -> LiveStateInvalid (C is not one of the service's target groups)
 * - [A=50, B=30]                 -> LiveStateInvalid (sums to 80)
 */
export function resolveLiveSide(
  weights: readonly TargetGroupWeight[],
  serviceTgs: readonly [string, string],
  primaryTaskSetTg?: string,
): LiveSide {
  const [a, b] = serviceTgs;
  const found = `found weights ${show(weights)} for service target groups ${a}, ${b}`;
  const details = { weights, serviceTargetGroups: serviceTgs, primaryTaskSetTargetGroup: primaryTaskSetTg };
  const fail = (what: string, fix: string): never => {
    throw new LiveStateInvalid(`${what}: ${found}. ${fix}`, { details });
  };

  if (a === b) fail('the service names the same target group twice', 'Configure two different target groups.');
  if (weights.length === 0) {
    fail('the production route forwards to no target group', `Point its forward action at ${a} with weight 100.`);
  }
  const seen = new Set<string>();
  for (const w of weights) {
    if (w.targetGroupArn !== a && w.targetGroupArn !== b) {
      fail(
        `the production route forwards to ${w.targetGroupArn}, which is not one of the service's target groups`,
        `Forward only to ${a} and ${b} (weights 100 and 0), or fix targetGroupArns in the configuration.`,
      );
    }
    if (seen.has(w.targetGroupArn)) {
      fail(`the production route names ${w.targetGroupArn} twice`, 'Name each target group once.');
    }
    seen.add(w.targetGroupArn);
    if (!Number.isInteger(w.weight) || w.weight < 0 || w.weight > 100) {
      fail(
        `weight ${w.weight} on ${w.targetGroupArn} is not an integer from 0 to 100`,
        'Set the weights to 100 on the stable target group and 0 on the other.',
      );
    }
  }
  const sum = weights.reduce((acc, w) => acc + w.weight, 0);
  if (sum !== 100) {
    fail(
      `the weights sum to ${sum}, not 100`,
      'Set the weights to 100 on the stable target group and 0 on the other.',
    );
  }

  const weightOf = (tg: string): number => weights.find((w) => w.targetGroupArn === tg)?.weight ?? 0;
  const other = (tg: string): string => (tg === a ? b : a);
  if (weightOf(a) === 100) return { blue: a, green: b, split: false };
  if (weightOf(b) === 100) return { blue: b, green: a, split: false };

  // Both carry traffic: an interrupted deployment. The primary task set is the stable version.
  if (primaryTaskSetTg === a || primaryTaskSetTg === b) {
    return { blue: primaryTaskSetTg, green: other(primaryTaskSetTg), split: true };
  }
  return fail(
    `traffic is split (${a}=${weightOf(a)}, ${b}=${weightOf(b)}) and ${
      primaryTaskSetTg === undefined
        ? 'the service has no primary task set'
        : `the primary task set is on ${primaryTaskSetTg}, neither of them`
    }, so the stable side is unknown`,
    'Set the weights to 100 on the target group of the version that should serve, and 0 on the other.',
  );
}

// ---------------------------------------------------------------------------------------------
// Workers (no load balancer): the share of tasks is the truth
// ---------------------------------------------------------------------------------------------

/** The fields of a worker's task set the resolution reads (ports' TaskSetInfo has them). */
export interface WorkerTaskSetSlot {
  readonly id: string;
  readonly status: string;
  readonly computedDesiredCount: number;
  readonly runningCount: number;
}

export interface WorkerLiveSide {
  /** The stable task set (PRIMARY), absent on a first deployment. */
  readonly blue?: string;
  /** Task sets other than blue that ECS still sizes above 0 (an interrupted deployment's green). */
  readonly others: readonly string[];
  /** Blue's real share of the tasks ECS computes, percent (100 when nothing else runs). */
  readonly bluePercent: number;
  /** True when another task set still takes a share: put everything back on blue before starting. */
  readonly split: boolean;
}

/**
 * A worker's live side from its task sets, by the share of tasks ECS computes for them (the real
 * share, not the scale asked for): blue is the PRIMARY task set; any other non-DRAINING task set
 * sized above 0 is a split left by an interrupted deployment.
 *
 * Examples:
 * - [PRIMARY a (3)]                          -> { blue: a, others: [], bluePercent: 100, split: false }
 * - [PRIMARY a (2), ACTIVE b (1)]            -> { blue: a, others: [b], bluePercent: 67, split: true }
 * - [PRIMARY a (3), ACTIVE b (0)]            -> { blue: a, others: [], bluePercent: 100, split: false }
 * - []                                       -> { others: [], bluePercent: 0, split: false } (first deployment)
 * - [ACTIVE a (2), ACTIVE b (1)], no PRIMARY  -> LiveStateInvalid (the stable side is unknown)
 */
export function resolveWorkerLiveSide(taskSets: readonly WorkerTaskSetSlot[]): WorkerLiveSide {
  const live = taskSets.filter((t) => t.status !== 'DRAINING');
  const primary = live.find((t) => t.status === 'PRIMARY');
  const sized = live.filter((t) => t.id !== primary?.id && t.computedDesiredCount > 0);
  if (!primary) {
    if (sized.length > 0) {
      throw new LiveStateInvalid(
        `the worker's task sets ${sized.map((t) => `${t.id} (${t.computedDesiredCount} tasks)`).join(', ')} run but none is PRIMARY, so the stable side is unknown. Make the stable one primary (aws ecs update-service-primary-task-set) and scale the others to 0`,
        { details: { taskSets: live } },
      );
    }
    return { others: [], bluePercent: 0, split: false };
  }
  const blueTasks = primary.computedDesiredCount;
  const otherTasks = sized.reduce((n, t) => n + t.computedDesiredCount, 0);
  const total = blueTasks + otherTasks;
  return {
    blue: primary.id,
    others: sized.map((t) => t.id),
    bluePercent: total === 0 ? 100 : Math.round((blueTasks * 100) / total),
    split: sized.length > 0,
  };
}

// ---------------------------------------------------------------------------------------------
// Room for one more task set (issue #13, item 2)
// ---------------------------------------------------------------------------------------------

/**
 * Task sets per service, DRAINING ones included until they are gone: 5, not adjustable ("Amazon ECS
 * service quotas", https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-quotas.html).
 * CreateTaskSet beyond it answers InvalidParameterException "... Unable to create new TaskSet since
 * this exceeds the maximum limit."
 */
export const MAX_TASK_SETS_PER_SERVICE = 5;

/** The fields of a task set the decision reads (ports' TaskSetInfo has them). */
export interface TaskSetSlot {
  readonly id: string;
  readonly status: string;
  readonly targetGroupArns: readonly string[];
  readonly externalId?: string;
}

export type TaskSetRoom =
  /** Fewer than the limit: create. */
  | { readonly kind: 'room'; readonly count: number }
  /** This deployment's task set exists already (a retry): CreateTaskSet's client token returns it. */
  | { readonly kind: 'ours'; readonly id: string }
  /**
   * At the limit. `orphans` may be deleted (ACTIVE, not blue, not this deployment's, on no target
   * group that takes traffic); `draining` are already going. Once those are gone there is room.
   */
  | { readonly kind: 'full'; readonly count: number; readonly orphans: readonly string[]; readonly draining: readonly string[] }
  /** At the limit and nothing Cutover may remove or wait for: only a person can make room. */
  | { readonly kind: 'stuck'; readonly count: number; readonly kept: readonly string[] };

/**
 * Whether green can be created next to `taskSets`. Never chosen as an orphan: the PRIMARY task set,
 * blue, this deployment's own, a DRAINING one (already leaving), and any task set on a target group
 * with weight > 0 on the production route (it carries traffic).
 *
 * Examples (limit 5, weights blue-tg=100, green-tg=0):
 * - 2 task sets                                          -> room
 * - 5: PRIMARY(blue) + 2 DRAINING + 2 ACTIVE on green-tg  -> full, orphans = the 2 ACTIVE, draining = 2
 * - 5: PRIMARY(blue) + 4 ACTIVE on blue-tg                -> stuck (all carry traffic)
 */
export function taskSetRoom(
  taskSets: readonly TaskSetSlot[],
  opts: { readonly deploymentId: string; readonly blueTaskSetId?: string; readonly weights: readonly TargetGroupWeight[]; readonly limit?: number },
): TaskSetRoom {
  const limit = opts.limit ?? MAX_TASK_SETS_PER_SERVICE;
  const own = taskSets.find((t) => t.externalId === opts.deploymentId && t.status !== 'DRAINING');
  if (own) return { kind: 'ours', id: own.id };
  if (taskSets.length < limit) return { kind: 'room', count: taskSets.length };
  const carriesTraffic = (t: TaskSetSlot): boolean =>
    t.targetGroupArns.some((tg) => (opts.weights.find((w) => w.targetGroupArn === tg)?.weight ?? 0) > 0);
  const draining = taskSets.filter((t) => t.status === 'DRAINING').map((t) => t.id);
  const orphans = taskSets
    .filter((t) => t.status === 'ACTIVE' && t.id !== opts.blueTaskSetId && !carriesTraffic(t))
    .map((t) => t.id);
  if (draining.length === 0 && orphans.length === 0) {
    return { kind: 'stuck', count: taskSets.length, kept: taskSets.map((t) => t.id) };
  }
  return { kind: 'full', count: taskSets.length, orphans, draining };
}
