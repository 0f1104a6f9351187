/** Release gates, the pure parts: the image gate's verdict, the migration's parameters and outcome, which gates a service has. */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CutoverConfigInput, parseConfig } from '../../functions/core/config.js';
import {
  blockingFindings,
  gatesOf,
  type ImageGateInput,
  imageGateVerdict,
  MIGRATION_GROUP,
  migrationOutcome,
  migrationRunParameters,
  SCAN_POLL_SECONDS,
  scanResultOf,
  SEVERITIES,
  taskFromCause,
} from '../../functions/core/gates.js';
import { EcrImageScanDetail, scanResultFromEvent } from '../../functions/core/scan-event.js';

const fixture = (path: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8'));
const T = Date.parse('2026-01-01T00:00:00Z');
const IMAGE = 'shop/api@sha256:7f5b';

function gate(over: Partial<ImageGateInput>): ImageGateInput {
  return {
    image: IMAGE,
    blockSeverity: 'HIGH',
    waitSeconds: 300,
    onTimeout: 'reject',
    scan: { kind: 'complete', counts: {} },
    pushedAtMs: T,
    nowMs: T + 10_000,
    ...over,
  };
}

describe('imageGateVerdict', () => {
  const cases: Array<{ name: string; input: Partial<ImageGateInput>; decision: 'pass' | 'wait' | 'reject'; message?: RegExp }> = [
    { name: 'the gate off passes even CRITICAL findings', input: { blockSeverity: 'NONE', scan: { kind: 'complete', counts: { CRITICAL: 7 } } }, decision: 'pass' },
    { name: 'the gate off passes an image never scanned', input: { blockSeverity: 'NONE', scan: { kind: 'none' } }, decision: 'pass' },
    { name: 'HIGH findings at gate HIGH', input: { scan: { kind: 'complete', counts: { HIGH: 2, MEDIUM: 5 } } }, decision: 'reject', message: /at or above HIGH: HIGH: 2$/ },
    { name: 'CRITICAL and HIGH, worst first', input: { scan: { kind: 'complete', counts: { HIGH: 3, CRITICAL: 1 } } }, decision: 'reject', message: /CRITICAL: 1, HIGH: 3/ },
    { name: 'only MEDIUM and LOW at gate HIGH', input: { scan: { kind: 'complete', counts: { MEDIUM: 9, LOW: 3 } } }, decision: 'pass' },
    { name: 'MEDIUM at gate LOW', input: { blockSeverity: 'LOW', scan: { kind: 'complete', counts: { MEDIUM: 1 } } }, decision: 'reject' },
    { name: 'a zero count at the gate', input: { scan: { kind: 'complete', counts: { HIGH: 0 } } }, decision: 'pass' },
    { name: 'a scan in progress just after the push waits', input: { scan: { kind: 'pending', status: 'IN_PROGRESS' } }, decision: 'wait' },
    {
      name: 'a scan in progress after waitSeconds, onTimeout reject',
      input: { scan: { kind: 'pending', status: 'IN_PROGRESS' }, nowMs: T + 301_000 },
      decision: 'reject',
      message: /still IN_PROGRESS 301 s after the push \(imageScan.waitSeconds is 300\), and imageScan.onTimeout is reject/,
    },
    { name: 'a scan in progress after waitSeconds, onTimeout allow', input: { scan: { kind: 'pending', status: 'PENDING' }, nowMs: T + 301_000, onTimeout: 'allow' }, decision: 'pass' },
    { name: 'never scanned, the gate set', input: { scan: { kind: 'none' } }, decision: 'reject', message: /never been scanned.*turn on scan on push/ },
    { name: 'a FAILED scan', input: { scan: { kind: 'unusable', status: 'FAILED', description: 'The scan failed.' } }, decision: 'reject', message: /is FAILED \(The scan failed\.\)/ },
    { name: 'an unsupported image', input: { scan: { kind: 'unusable', status: 'UNSUPPORTED_IMAGE' } }, decision: 'reject' },
  ];
  it.each(cases)('$name -> $decision', ({ input, decision, message }) => {
    const verdict = imageGateVerdict(gate(input));
    expect(verdict.decision).toBe(decision);
    if (message && verdict.decision === 'reject') expect(verdict.message).toMatch(message);
  });

  it('a rejection for findings carries the counts and the gate (the ImageRejected details)', () => {
    const verdict = imageGateVerdict(gate({ scan: { kind: 'complete', counts: { CRITICAL: 1 } } }));
    expect(verdict).toMatchObject({ decision: 'reject', details: { findingCounts: { CRITICAL: 1 }, blockSeverity: 'HIGH' } });
  });

  it('waits at most 30 s at a time, and never past waitSeconds after the push', () => {
    expect(imageGateVerdict(gate({ scan: { kind: 'pending', status: 'IN_PROGRESS' }, nowMs: T + 10_000 }))).toEqual({
      decision: 'wait',
      waitSeconds: SCAN_POLL_SECONDS,
      remainingSeconds: 290,
      status: 'IN_PROGRESS',
    });
    expect(imageGateVerdict(gate({ scan: { kind: 'pending', status: 'IN_PROGRESS' }, nowMs: T + 290_500 }))).toMatchObject({ waitSeconds: 10, remainingSeconds: 10 });
  });

  it('property: findings only below the gate never reject; any finding at or above it always does', () => {
    const severity = fc.constantFrom(...SEVERITIES);
    fc.assert(
      fc.property(severity, fc.dictionary(severity, fc.nat(50)), (g, counts) => {
        const verdict = imageGateVerdict(gate({ blockSeverity: g, scan: { kind: 'complete', counts } }));
        const blocking = SEVERITIES.slice(SEVERITIES.indexOf(g)).some((s) => (counts[s] ?? 0) > 0);
        expect(verdict.decision).toBe(blocking ? 'reject' : 'pass');
      }),
    );
  });

  it('property: a pending scan waits (1..30 s) until waitSeconds after the push, then onTimeout decides', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3600 }), fc.integer({ min: 0, max: 7200_000 }), fc.constantFrom('reject' as const, 'allow' as const), (wait, elapsed, onTimeout) => {
        const verdict = imageGateVerdict(gate({ waitSeconds: wait, onTimeout, scan: { kind: 'pending', status: 'IN_PROGRESS' }, nowMs: T + elapsed }));
        if (elapsed < wait * 1000) {
          expect(verdict.decision).toBe('wait');
          if (verdict.decision === 'wait') {
            expect(verdict.waitSeconds).toBeGreaterThanOrEqual(1);
            expect(verdict.waitSeconds).toBeLessThanOrEqual(SCAN_POLL_SECONDS);
          }
        } else {
          expect(verdict.decision).toBe(onTimeout === 'reject' ? 'reject' : 'pass');
        }
      }),
    );
  });

  it('blockingFindings lists the severities at or above the gate, worst first', () => {
    expect(blockingFindings({ LOW: 4, CRITICAL: 2, HIGH: 1, INFORMATIONAL: 9 }, 'HIGH')).toEqual(['CRITICAL: 2', 'HIGH: 1']);
    expect(blockingFindings({ LOW: 4 }, 'INFORMATIONAL')).toEqual(['LOW: 4']);
  });
});

describe('what ECR reports, read the same way from the API and from the event', () => {
  it('a DescribeImageScanFindings response (COMPLETE) gives its severity counts', () => {
    const response = fixture('ecr-describe-image-scan-findings.json') as {
      imageScanStatus: { status: string; description: string };
      imageScanFindings: { findingSeverityCounts: Record<string, number> };
    };
    const scan = scanResultOf(response.imageScanStatus.status, response.imageScanFindings.findingSeverityCounts, response.imageScanStatus.description);
    expect(scan).toEqual({ kind: 'complete', counts: { HIGH: 1, MEDIUM: 4, LOW: 9, INFORMATIONAL: 12 } });
    expect(imageGateVerdict(gate({ scan }))).toMatchObject({ decision: 'reject', message: expect.stringContaining('HIGH: 1') });
    expect(imageGateVerdict(gate({ scan, blockSeverity: 'CRITICAL' })).decision).toBe('pass');
  });

  it('an `ECR Image Scan` event (as AWS documents it) gives the same verdict', () => {
    const event = fixture('events/ecr-image-scan.json') as { detail: unknown };
    const detail = EcrImageScanDetail.parse(event.detail);
    const scan = scanResultFromEvent(detail);
    expect(scan).toEqual({ kind: 'complete', counts: { CRITICAL: 10, MEDIUM: 9 } });
    expect(imageGateVerdict(gate({ scan }))).toMatchObject({ decision: 'reject', message: expect.stringContaining('CRITICAL: 10') });
  });

  it.each([
    ['COMPLETE', 'complete'],
    ['ACTIVE', 'complete'],
    ['IN_PROGRESS', 'pending'],
    ['PENDING', 'pending'],
    ['FAILED', 'unusable'],
    ['UNSUPPORTED_IMAGE', 'unusable'],
    ['SCAN_ELIGIBILITY_EXPIRED', 'unusable'],
    ['FINDINGS_UNAVAILABLE', 'unusable'],
    [undefined, 'none'],
  ])('scan status %s is %s', (status, kind) => {
    expect(scanResultOf(status, {}).kind).toBe(kind);
  });

  it.each(['COMPLETE', 'ACTIVE'])('%s without severity counts is pending, never "no findings" (the gate waits)', (status) => {
    const scan = scanResultOf(status, undefined);
    expect(scan).toEqual({ kind: 'pending', status: `${status} (severity counts not available yet)` });
    expect(imageGateVerdict(gate({ scan })).decision).toBe('wait');
  });

  it('UNTRIAGED enhanced findings (not rated by Inspector) block at every gate but NONE', () => {
    const scan = scanResultOf('ACTIVE', { UNTRIAGED: 2, LOW: 1 });
    expect(imageGateVerdict(gate({ scan, blockSeverity: 'CRITICAL' }))).toMatchObject({ decision: 'reject', message: expect.stringContaining('UNTRIAGED: 2') });
    expect(imageGateVerdict(gate({ scan, blockSeverity: 'NONE' })).decision).toBe('pass');
  });
});

describe('the migration task', () => {
  const placement = {
    launchType: 'FARGATE',
    networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0abc1234'], securityGroups: ['sg-0abc1234'], assignPublicIp: 'DISABLED' } },
  };
  const TD = 'arn:aws:ecs:us-east-1:123456789012:task-definition/api:8';

  it('runs the new revision with the command on the named container, in the stable task set\'s network', () => {
    expect(
      migrationRunParameters({ cluster: 'demo', taskDefinitionArn: TD, containerName: 'app', command: ['npm', 'run', 'migrate'], placement, defaultLaunchType: 'FARGATE' }),
    ).toEqual({
      Cluster: 'demo',
      TaskDefinition: TD,
      LaunchType: 'FARGATE',
      NetworkConfiguration: { AwsvpcConfiguration: { Subnets: ['subnet-0abc1234'], SecurityGroups: ['sg-0abc1234'], AssignPublicIp: 'DISABLED' } },
      Overrides: { ContainerOverrides: [{ Name: 'app', Command: ['npm', 'run', 'migrate'] }] },
      Group: MIGRATION_GROUP,
    });
  });

  it('a capacity-provider task set (no launch type) runs with the default launch type; no awsvpc network is a problem, not a guess', () => {
    const cp = migrationRunParameters({ cluster: 'c', taskDefinitionArn: TD, containerName: 'app', command: ['x'], placement: { networkConfiguration: placement.networkConfiguration }, defaultLaunchType: 'EC2' });
    expect(cp).toMatchObject({ LaunchType: 'EC2' });
    const none = migrationRunParameters({ cluster: 'c', taskDefinitionArn: TD, containerName: 'app', command: ['x'], placement: {}, defaultLaunchType: 'FARGATE' });
    expect(none).toEqual({ problem: expect.stringContaining('awsvpc') });
  });

  const stopped = (exitCode: number | undefined, extra: Record<string, unknown> = {}) => ({
    TaskArn: 'arn:aws:ecs:us-east-1:123456789012:task/demo/abc',
    LastStatus: 'STOPPED',
    StopCode: 'EssentialContainerExited',
    StoppedReason: 'Essential container in task exited',
    Containers: [{ Name: 'app', ...(exitCode === undefined ? {} : { ExitCode: exitCode }) }, { Name: 'log-router', ExitCode: 0 }],
    ...extra,
  });

  const outcomes: Array<{ name: string; input: Parameters<typeof migrationOutcome>[0]; ok: boolean; message?: RegExp }> = [
    { name: 'exit 0 of the named container', input: { containerName: 'app', timeoutSeconds: 600, task: stopped(0) }, ok: true },
    {
      name: 'exit 3',
      input: { containerName: 'app', timeoutSeconds: 600, task: stopped(3) },
      ok: false,
      message: /stopped with exit code 3 in container app: Essential container in task exited/,
    },
    {
      name: 'no exit code (the task never started)',
      input: { containerName: 'app', timeoutSeconds: 600, task: stopped(undefined, { StopCode: 'TaskFailedToStart', StoppedReason: 'CannotPullContainerError: not found' }) },
      ok: false,
      message: /without an exit code in container app: CannotPullContainerError/,
    },
    { name: 'another container exited 0, the named one did not', input: { containerName: 'app', timeoutSeconds: 600, task: stopped(1) }, ok: false, message: /exit code 1/ },
    { name: 'a container that is not in the task', input: { containerName: 'migrator', timeoutSeconds: 600, task: stopped(0) }, ok: false, message: /no container "migrator"/ },
    { name: 'the state timed out', input: { containerName: 'app', timeoutSeconds: 600, error: { Error: 'States.Timeout', Cause: 'timed out' } }, ok: false, message: /did not finish within 600 s/ },
    {
      name: 'the state failed with the task in its cause (.sync on a non-zero exit)',
      input: { containerName: 'app', timeoutSeconds: 600, error: { Error: 'States.TaskFailed', Cause: JSON.stringify(stopped(2)) } },
      ok: false,
      message: /exit code 2/,
    },
    {
      name: 'RunTask itself failed',
      input: { containerName: 'app', timeoutSeconds: 600, error: { Error: 'ECS.AmazonECSException', Cause: 'ClientException: TaskDefinition is inactive' } },
      ok: false,
      message: /could not run: ECS.AmazonECSException: ClientException/,
    },
  ];
  it.each(outcomes)('$name -> ok: $ok', ({ input, ok, message }) => {
    const outcome = migrationOutcome(input);
    expect(outcome.ok).toBe(ok);
    if (message && !outcome.ok) expect(outcome.message).toMatch(message);
  });

  it('the failure details name the exit code, the stop code and the reason', () => {
    expect(migrationOutcome({ containerName: 'app', timeoutSeconds: 60, task: stopped(3) })).toMatchObject({
      ok: false,
      details: { exitCode: 3, stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited', container: 'app' },
    });
  });

  it('taskFromCause reads the task from a Lambda-style cause too', () => {
    const inner = JSON.stringify(stopped(5));
    expect(taskFromCause(JSON.stringify({ errorType: 'States.TaskFailed', errorMessage: inner }))?.Containers?.[0]?.ExitCode).toBe(5);
    expect(taskFromCause('plain text')).toBeUndefined();
  });
});

describe('gatesOf', () => {
  const base: CutoverConfigInput = {
    services: [
      {
        name: 'api',
        environment: 'production',
        cluster: 'demo',
        service: 'api',
        containerName: 'app',
        repository: 'shop/api',
        listenerArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/api-alb/0123456789abcdef/0123456789abcdef',
        testListenerArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/api-alb/0123456789abcdef/fedcba9876543210',
        targetGroupArns: [
          'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api-a/0123456789abcdef',
          'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api-b/0123456789abcdef',
        ],
        strategy: { type: 'all-at-once' },
      },
    ],
  };
  const svc = (extra: Record<string, unknown>) => {
    const config = parseConfig({ ...base, services: [{ ...(base.services[0] as object), ...extra }] } as CutoverConfigInput);
    return config.services[0] as NonNullable<(typeof config.services)[0]>;
  };
  const hook = 'arn:aws:lambda:us-east-1:123456789012:function:smoke';

  it.each([
    ['nothing configured', {}, undefined],
    ['a migration', { migration: { command: ['migrate'] } }, { migration: true }],
    ['afterHealthy hooks', { hooks: { afterHealthy: [hook] } }, { preTraffic: true }],
    ['afterTestTraffic hooks', { hooks: { afterTestTraffic: [hook] } }, { preTraffic: true }],
    ['every hook point', { hooks: { beforeShift: [hook], afterFullTraffic: [hook] } }, { beforeShift: true, afterFullTraffic: true }],
  ])('%s -> %j', (_name, extra, expected) => {
    expect(gatesOf(svc(extra))).toEqual(expected);
  });
});
