/**
 * Cleanup at scale within Step Functions' history limit (issue #12, defect 7): the real
 * statemachines/cleanup.asl.json on the local runner, which fails an execution at 25,000 history
 * events as Step Functions does. `start` and `report-parts` are the real handler's; planning and
 * applying are scripted so each service has a full backlog (100 actions: 20 batches of 5, paced),
 * about 190 events per service, without an ECS world of 1,000 services.
 *
 * On the original definition (every service's loop inside one execution's inline Map) the run
 * failed at about 130 services; here every execution stays far under the limit.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.js';
import { createHandler, SCOPES_PER_PART } from '../../functions/handlers/cleanup.js';
import { VirtualClockImpl } from '../../local/clock.js';
import { type ExecutionRecord, LocalRunner, MAX_HISTORY_EVENTS } from '../../local/runner/index.js';
import { manyServices } from '../helpers/cdk.js';
import { testEnv } from '../helpers/fakes.js';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const CLEANUP_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:cutover-cleanup`;
const FN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:cutover-cleanup`;
const DEFINITION = readFileSync(new URL('../../statemachines/cleanup.asl.json', import.meta.url), 'utf8');

interface Scope {
  kind: string;
  service?: string;
  environment?: string;
  repository?: string;
}

/** Runs a cleanup of `services` services whose every scope has `batches` batches of writes to apply. */
async function runCleanup(services: number, batches: number): Promise<{ executions: ExecutionRecord[]; planned: Set<string> }> {
  const clock = new VirtualClockImpl();
  const runner = new LocalRunner({ clock, region: REGION, accountId: ACCOUNT, seed: 1, stallTimeoutMs: 120_000 });
  // The schema takes at most 500 services a configuration; 1,000 are two such halves put together.
  const raw = manyServices(services) as { services: unknown[] };
  const half = (from: number, to: number) => parseConfig({ ...raw, services: raw.services.slice(from, to) }, 'manyServices');
  const first = half(0, Math.min(services, 500));
  const config = services <= 500 ? first : { ...first, services: [...first.services, ...half(500, services).services] };
  const events: unknown[] = [];
  const real = createHandler({
    env: testEnv({ ...raw, services: raw.services.slice(0, 1) } as never, { config }),
    clock: { now: () => clock.now() },
    events: { publish: async (kind: string, detail: unknown) => void events.push({ kind, detail }) },
    logLevel: 'SILENT',
  } as never) as (e: unknown) => Promise<unknown>;
  const planned = new Set<string>();
  const zero = { done: 0, would: 0, failed: 0, skipped: 0, deferred: 0 };
  runner.registerFunction(FN, async (payload) => {
    const p = payload as { action: string; run?: unknown; scope?: Scope; item?: { scope: Scope; left: number; run: unknown } };
    switch (p.action) {
      case 'start':
      case 'report-parts':
        return real(payload);
      case 'plan-service':
      case 'plan-repository': {
        const scope = p.scope as Scope;
        planned.add(scope.service ?? scope.repository ?? '');
        return { run: p.run, scope, status: 'applying', left: batches, waitSeconds: 5, pending: [], done: [] };
      }
      case 'apply': {
        const item = p.item as { scope: Scope; left: number; run: unknown };
        const left = item.left - 1;
        if (left > 0) return { ...item, left, status: 'applying', waitSeconds: 5 };
        return { scope: item.scope, status: 'done', counts: { ...zero, done: batches * 5 }, actions: [], kept: [], omitted: 0, deferred: 0 };
      }
      case 'report':
        return { runId: 'r', dryRun: false, startedAt: '', finishedAt: '', scopes: [], totals: { ...zero, done: 1, byKind: {} } };
      default:
        throw new Error(`unexpected ${p.action}`);
    }
  });
  const finished = new Map<string, (r: ExecutionRecord) => void>();
  runner.onExecutionFinished((r) => finished.get(r.executionArn)?.(r));
  runner.registerTaskResource('arn:aws:states:::states:startExecution.sync:2', async (parameters) => {
    const q = parameters as { StateMachineArn: string; Input: unknown };
    const { executionArn } = await runner.startExecution({ stateMachineArn: q.StateMachineArn, input: JSON.stringify(q.Input) });
    let record = runner.getExecution(executionArn);
    if (record.status === 'RUNNING') record = await clock.blockedOn(new Promise<ExecutionRecord>((resolve) => finished.set(executionArn, resolve)));
    if (record.status !== 'SUCCEEDED') throw Object.assign(new Error(record.cause ?? 'failed'), { name: 'States.TaskFailed' });
    return { ExecutionArn: record.executionArn, Status: record.status, Output: JSON.parse(record.output ?? '{}') as unknown };
  });
  runner.registerStateMachine({
    name: 'cutover-cleanup',
    arn: CLEANUP_ARN,
    definition: DEFINITION,
    substitutions: { CleanupFunctionArn: FN, CleanupStateMachineArn: CLEANUP_ARN },
  });
  await runner.startExecution({ stateMachineArn: CLEANUP_ARN, name: 'nightly', input: JSON.stringify({ dryRun: false }) });
  await runner.runUntilQuiescent({ maxVirtualMs: 30 * 24 * 3600 * 1000, failOnErrors: false });
  const executions = runner.listExecutions();
  runner.dispose();
  return { executions, planned };
}

const measured: string[] = [];
afterAll(() => console.info(`cleanup history: ${measured.join('; ')}`));

describe('cleanup within the 25,000-event history of every execution', () => {
  it(`150 services with a full backlog each (~190 events a service): parts of ${SCOPES_PER_PART}, every execution far under the limit`, async () => {
    const { executions, planned } = await runCleanup(150, 20);
    const parent = executions.find((x) => x.name === 'nightly');
    expect(parent?.status).toBe('SUCCEEDED');
    // 6 parts of services, then 6 of their 150 repositories, each a child execution that succeeded.
    expect(executions.filter((x) => x !== parent).map((x) => x.status)).toEqual(Array(12).fill('SUCCEEDED'));
    expect(planned.size).toBe(150 + 150);
    const worst = Math.max(...executions.map((x) => x.historyEvents));
    expect(worst).toBeLessThan(MAX_HISTORY_EVENTS / 4);
    // The parent's history grows with the parts, not with the services' work.
    expect(parent?.historyEvents).toBeLessThan(200);
    expect(JSON.parse(parent?.output ?? '{}')).toMatchObject({ totals: { done: 12 } });
    measured.push(`150 services, full backlog: parent ${parent?.historyEvents} events, worst part ${worst}`);
  }, 600_000);

  it('1,000 services: 40 parts of services and 40 of repositories; the parent and every part stay under the limit', async () => {
    const { executions, planned } = await runCleanup(1000, 1);
    const parent = executions.find((x) => x.name === 'nightly');
    expect(parent?.status).toBe('SUCCEEDED');
    expect(executions).toHaveLength(1 + 40 + 40);
    expect(executions.every((x) => x.status === 'SUCCEEDED')).toBe(true);
    expect(planned.size).toBe(1000 + 1000);
    measured.push(`1,000 services: parent ${parent?.historyEvents} events, worst part ${Math.max(...executions.filter((x) => x !== parent).map((x) => x.historyEvents))}`);
    // Per part: about 25 x 190 events with a full backlog (measured above); the parent ~10 a part.
    expect(parent?.historyEvents).toBeLessThan(1_000);
    expect(Math.max(...executions.map((x) => x.historyEvents))).toBeLessThan(MAX_HISTORY_EVENTS);
    expect(Math.max(...executions.map((x) => x.largestPayloadBytes))).toBeLessThan(256 * 1024);
  }, 600_000);
});
