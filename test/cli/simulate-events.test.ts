/**
 * `cutover simulate` shows what happened to each raw `event` input of a scenario (issue #15):
 * `--json` lists them with `{ at, target, outcome, error?, message? }`, the live view prints one line
 * for each. A hostile event is rejected by name, answered without a retry, and starts nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bufferIO } from '../../cli/io.js';
import { main } from '../../cli/main.js';
import { scenarioFileText } from '../../cli/simulate.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cutover-simulate-events-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cutover(...argv: string[]) {
  const io = bufferIO({ cwd: ROOT, env: {} });
  const code = await main(argv, io);
  return { code, out: io.out(), err: io.err() };
}

/** good-canary with raw events: the push delivered again, and hostile, foreign and not-for-us ones. */
function scenarioFile(): string {
  const raw = JSON.parse(scenarioFileText('good-canary'));
  const push = raw.timeline.find((t: { kind: string }) => t.kind === 'push');
  const ecr = (over: Record<string, unknown> = {}, detail: Record<string, unknown> = {}) => ({
    version: '0',
    id: `e-${Object.keys(over).join('-')}-${Object.keys(detail).join('-')}`,
    'detail-type': 'ECR Image Action',
    source: 'aws.ecr',
    account: raw.accountId,
    time: '2026-01-01T00:00:20Z',
    region: raw.region,
    resources: [],
    detail: { result: 'SUCCESS', 'repository-name': push.repository, 'image-digest': push.digest, 'action-type': 'PUSH', 'image-tag': push.tag, ...detail },
    ...over,
  });
  const alarm = {
    version: '0',
    id: 'a-foreign',
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: '210987654321',
    time: '2026-01-01T00:00:20Z',
    region: raw.region,
    resources: [],
    detail: { alarmName: 'api-5xx', state: { value: 'ALARM', reason: 'forged', timestamp: '2026-01-01T00:00:20Z' } },
  };
  raw.timeline.push(
    { at: 20, kind: 'event', target: 'intake', event: ecr() },
    { at: 21, kind: 'event', target: 'intake', event: ecr({ source: 'aws.ecs' }) },
    { at: 22, kind: 'event', target: 'intake', event: ecr({}, { 'action-type': 'DELETE' }) },
    { at: 23, kind: 'event', target: 'alarm-watcher', event: alarm },
    { at: 24, kind: 'event', target: 'intake', event: ecr({}, { 'image-tag': `v${'1'.repeat(199)}` }) },
  );
  const file = join(dir, 'hostile-events.json');
  writeFileSync(file, JSON.stringify(raw));
  return file;
}

describe('cutover simulate: raw events and their outcomes', () => {
  const file = scenarioFile();

  it('--json lists every event input with its outcome; the hostile ones are rejected by name and start nothing', async () => {
    const { code, out } = await cutover('simulate', '--scenario', file, '--json');
    expect(code).toBe(0);
    const summary = JSON.parse(out);
    expect(summary.events).toEqual([
      { at: 20, target: 'intake', outcome: 'started', message: expect.stringMatching(/^api-production-[0-9a-f]{16} \(already started\)$/) },
      { at: 21, target: 'intake', outcome: 'rejected', error: 'ValidationError', message: expect.stringContaining('source: expected "aws.ecr"') },
      { at: 22, target: 'intake', outcome: 'ignored', message: expect.stringContaining('only successful pushes deploy') },
      { at: 23, target: 'alarm-watcher', outcome: 'rejected', error: 'ValidationError', message: expect.stringContaining("account: 210987654321 is not this control plane's account") },
      { at: 24, target: 'intake', outcome: 'rejected', error: 'ValidationError', message: expect.stringContaining('detail.image-tag') },
    ]);
    // Only the real push deployed, and the forged alarm did not roll it back.
    expect(summary.deployments).toEqual([expect.objectContaining({ status: 'SUCCEEDED' })]);
    expect(summary.invariantViolations).toEqual([]);
  }, 60_000);

  it('the live view prints one line for each event', async () => {
    const { code, out } = await cutover('simulate', '--scenario', file, '--plain');
    expect(code).toBe(0);
    const lines = out.split('\n').filter((l) => / event -> /.test(l));
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^\[\+0?0:20\] event -> intake: started — api-production-/);
    expect(lines[1]).toMatch(/^\[\+0?0:21\] event -> intake: rejected — ValidationError: .*source: expected "aws\.ecr"/);
    expect(lines[2]).toMatch(/^\[\+0?0:22\] event -> intake: ignored — action-type DELETE/);
    expect(lines[3]).toMatch(/^\[\+0?0:23\] event -> alarm-watcher: rejected — ValidationError: /);
    expect(lines[4]).toMatch(/^\[\+0?0:24\] event -> intake: rejected — ValidationError: .*detail\.image-tag/);
  }, 60_000);
});
