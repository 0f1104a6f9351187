import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkSingleInFlight,
  checkTerminal,
  checkTrafficOnHealthy,
  checkWeights,
  type InFlightRecord,
} from '../../functions/core/invariants.js';
import { DeploymentStatus, type TargetGroupWeight } from '../../functions/core/model.js';
import { weightsFor } from '../../functions/core/plan.js';

const A = 'tg-a';
const B = 'tg-b';
const C = 'tg-c';
const TGS = [A, B] as const;
const w = (targetGroupArn: string, weight: number): TargetGroupWeight => ({ targetGroupArn, weight });

describe('checkWeights', () => {
  const cases: Array<{ name: string; weights: TargetGroupWeight[]; violations: string[] }> = [
    { name: '100/0 is fine', weights: [w(A, 100), w(B, 0)], violations: [] },
    { name: '90/10 is fine', weights: [w(A, 90), w(B, 10)], violations: [] },
    { name: 'a single forward at 100 is fine', weights: [w(B, 100)], violations: [] },
    { name: 'sum below 100', weights: [w(A, 50), w(B, 30)], violations: ['weights sum to 80, not 100 (tg-a=50, tg-b=30)'] },
    { name: 'no weights at all', weights: [], violations: ['weights sum to 0, not 100 (none)'] },
    {
      name: 'a foreign target group',
      weights: [w(A, 90), w(C, 10)],
      violations: ["weights name tg-c, which is not one of the service's target groups (tg-a, tg-b)"],
    },
    { name: 'a target group twice', weights: [w(A, 50), w(A, 50)], violations: ['weights name tg-a more than once'] },
    {
      name: 'a fractional weight',
      weights: [w(A, 99.5), w(B, 0.5)],
      violations: ['weight 99.5 on tg-a is not an integer from 0 to 100', 'weight 0.5 on tg-b is not an integer from 0 to 100'],
    },
    {
      name: 'a negative weight',
      weights: [w(A, 110), w(B, -10)],
      violations: ['weight 110 on tg-a is not an integer from 0 to 100', 'weight -10 on tg-b is not an integer from 0 to 100'],
    },
  ];
  for (const c of cases) it(c.name, () => expect(checkWeights(c.weights, TGS)).toEqual(c.violations));

  it('weightsFor never violates it (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), (p) => {
        expect(checkWeights(weightsFor(p, A, B), TGS)).toEqual([]);
      }),
    );
  });
});

describe('checkTrafficOnHealthy', () => {
  const cases: Array<{
    name: string;
    weights: TargetGroupWeight[];
    healthy: Record<string, number>;
    required: Record<string, number>;
    violations: string[];
  }> = [
    { name: 'enough healthy targets', weights: [w(A, 90), w(B, 10)], healthy: { [A]: 4, [B]: 1 }, required: { [B]: 1 }, violations: [] },
    {
      name: 'traffic on a green with no healthy targets',
      weights: [w(A, 90), w(B, 10)],
      healthy: { [A]: 4, [B]: 0 },
      required: { [B]: 1 },
      violations: ['tg-b receives 10 % of traffic with 0 healthy targets; the step requires 1'],
    },
    {
      name: 'a target group missing from healthyByTg counts as 0 healthy',
      weights: [w(A, 0), w(B, 100)],
      healthy: {},
      required: { [B]: 3 },
      violations: ['tg-b receives 100 % of traffic with 0 healthy targets; the step requires 3'],
    },
    {
      name: 'weight 0 needs no healthy targets',
      weights: [w(A, 100), w(B, 0)],
      healthy: { [A]: 2, [B]: 0 },
      required: { [A]: 2, [B]: 5 },
      violations: [],
    },
    {
      name: 'fewer than required (full capacity)',
      weights: [w(A, 50), w(B, 50)],
      healthy: { [A]: 10, [B]: 9 },
      required: { [A]: 10, [B]: 10 },
      violations: ['tg-b receives 50 % of traffic with 9 healthy targets; the step requires 10'],
    },
    { name: 'no requirement listed means none', weights: [w(A, 100)], healthy: {}, required: {}, violations: [] },
  ];
  for (const c of cases) {
    it(c.name, () =>
      expect(checkTrafficOnHealthy({ weights: c.weights, healthyByTg: c.healthy, requiredByTg: c.required })).toEqual(c.violations),
    );
  }
});

describe('checkSingleInFlight', () => {
  const rec = (service: string, environment: string, status: DeploymentStatus, deploymentId?: string): InFlightRecord => ({
    service,
    environment,
    status,
    ...(deploymentId ? { deploymentId } : {}),
  });
  const cases: Array<{ name: string; records: InFlightRecord[]; violations: string[] }> = [
    { name: 'nothing in flight', records: [], violations: [] },
    {
      name: 'one in flight plus queued and finished ones',
      records: [
        rec('api', 'production', DeploymentStatus.IN_PROGRESS, 'd-1'),
        rec('api', 'production', DeploymentStatus.QUEUED, 'd-2'),
        rec('api', 'production', DeploymentStatus.QUEUED, 'd-3'),
        rec('api', 'production', DeploymentStatus.SUCCEEDED, 'd-0'),
      ],
      violations: [],
    },
    {
      name: 'one in flight per service and environment',
      records: [
        rec('api', 'production', DeploymentStatus.IN_PROGRESS, 'd-1'),
        rec('api', 'staging', DeploymentStatus.IN_PROGRESS, 'd-2'),
        rec('web', 'production', DeploymentStatus.IN_PROGRESS, 'd-3'),
      ],
      violations: [],
    },
    {
      name: 'two in flight for the same service and environment',
      records: [
        rec('api', 'production', DeploymentStatus.IN_PROGRESS, 'd-1'),
        rec('api', 'production', DeploymentStatus.IN_PROGRESS, 'd-2'),
      ],
      violations: ['api/production has 2 deployments IN_PROGRESS (d-1, d-2); at most one may be in flight'],
    },
    {
      name: 'records without ids are numbered',
      records: [rec('api', 'production', DeploymentStatus.IN_PROGRESS), rec('api', 'production', DeploymentStatus.IN_PROGRESS)],
      violations: ['api/production has 2 deployments IN_PROGRESS (#1, #2); at most one may be in flight'],
    },
  ];
  for (const c of cases) it(c.name, () => expect(checkSingleInFlight(c.records)).toEqual(c.violations));
});

describe('checkTerminal', () => {
  const cases: Array<{ name: string; record: Parameters<typeof checkTerminal>[0]; violations: string[] }> = [
    { name: 'in progress without a reason is fine', record: { status: DeploymentStatus.IN_PROGRESS }, violations: [] },
    { name: 'queued without a reason is fine', record: { status: DeploymentStatus.QUEUED }, violations: [] },
    {
      name: 'succeeded with Promoted',
      record: { status: DeploymentStatus.SUCCEEDED, reason: { code: 'Promoted', message: 'promoted after the final bake' } },
      violations: [],
    },
    {
      name: 'rolled back with an alarm',
      record: { status: DeploymentStatus.ROLLED_BACK, reason: { code: 'AlarmTriggered', message: 'api-5xx went to ALARM' } },
      violations: [],
    },
    {
      name: 'rolled back without a reason',
      record: { status: DeploymentStatus.ROLLED_BACK, deploymentId: 'd-1' },
      violations: ['deployment d-1 is ROLLED_BACK without a reason'],
    },
    {
      name: 'failed with an unknown code',
      record: { status: DeploymentStatus.FAILED, deploymentId: 'd-2', reason: { code: 'States.Runtime', message: 'boom' } },
      violations: ['deployment d-2 is FAILED with reason code "States.Runtime", which is neither an error name from errors.ts nor Promoted'],
    },
    {
      name: 'superseded with an empty message',
      record: { status: DeploymentStatus.SUPERSEDED, deploymentId: 'd-3', reason: { code: 'Superseded', message: '  ' } },
      violations: ['deployment d-3 is SUPERSEDED with an empty reason message'],
    },
  ];
  for (const c of cases) it(c.name, () => expect(checkTerminal(c.record)).toEqual(c.violations));
});
