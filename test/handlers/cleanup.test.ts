/** The cleanup handler's edge: the execution input (the whole run is covered end to end in test/statemachines/maintenance.test.ts). */
import { describe, expect, it } from 'vitest';
import { UnknownService, ValidationError } from '../../functions/core/errors.js';
import { type CleanupDeps, createHandler } from '../../functions/handlers/cleanup.js';
import { ManualClock, testEnv } from '../helpers/fakes.js';

const unused = new Proxy({}, { get: () => () => Promise.reject(new Error('no AWS call expected')) });
const handler = createHandler({
  env: testEnv(),
  clock: new ManualClock(),
  taskSets: unused,
  revisions: unused,
  images: unused,
  router: unused,
  store: unused,
  expiry: unused,
  events: unused,
  logLevel: 'SILENT',
} as unknown as CleanupDeps);
const start = (input: unknown) => handler({ action: 'start', input, runId: 'run-1', startedAt: '2026-01-01T03:00:00Z' });

describe('cleanup start', () => {
  it('visits every configured service and each repository once; a scheduled rule event is a real run', async () => {
    const out = (await start({ 'detail-type': 'Scheduled Event', source: 'aws.events' })) as {
      run: { dryRun: boolean; listLimit: number };
      services: unknown[];
      repositories: Array<{ repository: string; services: string[] }>;
    };
    expect(out.run.dryRun).toBe(false);
    expect(out.services).toHaveLength(4);
    expect(out.repositories.map((r) => [r.repository, r.services])).toEqual([
      ['my-repository-name', ['web/production', 'web/staging', 'worker/production']],
      ['shop/checkout', ['checkout/production']],
    ]);
    expect(out.run.listLimit).toBe(33);
  });

  it('one service, dry run', async () => {
    const out = (await start({ dryRun: true, services: [{ service: 'checkout', environment: 'production' }] })) as {
      run: { dryRun: boolean };
      services: unknown[];
      repositories: unknown[];
    };
    expect(out).toMatchObject({ run: { dryRun: true }, services: [{ kind: 'service', service: 'checkout' }], repositories: [{ repository: 'shop/checkout' }] });
  });

  it.each([
    ['an unknown field', { dryRun: true, force: true }, ValidationError],
    ['dryRun as text', { dryRun: 'yes' }, ValidationError],
    ['an unknown service', { services: [{ service: 'nope', environment: 'production' }] }, UnknownService],
  ])('rejects %s with a named error before touching AWS', async (_name, input, error) => {
    await expect(start(input)).rejects.toThrow(error);
  });
});
