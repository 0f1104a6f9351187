/**
 * Release milestones (issue #16): which release, which environment waits for approval, who approved
 * or aborted it and when — in the plain log and the live frame, the summary (`simulate --json`) and
 * the HTML report. The scenario approves from its timeline, waiting for the state (`when`).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runScenario, type ScenarioTrace } from '../../local/rehearsal.js';
import { reportHtml } from '../../local/report/html.js';
import { LiveView } from '../../local/report/live.js';
import { parseScenario } from '../../local/scenario.js';
import { GATE_SCENARIOS } from '../../local/scenarios/gates.js';

const base = GATE_SCENARIOS.find((s) => s.name === 'prod-approval-expired');
const scenario = parseScenario(
  {
    ...base,
    timeline: [
      ...(base?.timeline ?? []),
      { at: 20, kind: 'operator', action: 'approve', service: 'api', environment: 'production', by: 'alice', when: { waitingFor: 'approval' } },
    ],
  },
  'approved-release',
);
let trace: ScenarioTrace;
let plain = '';
let frame: string[] = [];

beforeAll(async () => {
  const live = new LiveView(scenario, { out: { write: (t: string) => (plain += t), isTTY: false } });
  trace = await runScenario(scenario, live.runOptions());
  live.finish(trace);
  frame = live.frame();
}, 120_000);

describe('release milestones', () => {
  it('the plain log says which release waits before which environment, who approved it, and how it ended, in virtual time', () => {
    const lines = plain.split('\n').filter((l) => l.includes('] release '));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\[\+0?4:10\] release shop-api-[0-9a-f]{16} waits for approval before production \(cutover release approve shop-api-[0-9a-f]{16}, or abort\)$/);
    expect(lines[1]).toMatch(/^\[\+0?4:11\] release shop-api-[0-9a-f]{16} production approved by alice$/);
    expect(lines[2]).toMatch(/release shop-api-[0-9a-f]{16} SUCCEEDED \(Released\)$/);
  });

  it('the live frame shows the release\'s latest milestone', () => {
    expect(frame.find((l) => l.startsWith('release '))).toMatch(/SUCCEEDED \(Released\) at \+/);
  });

  it('the summary has the approval wait and who approved when', () => {
    const release = trace.summary.releases?.[0];
    expect(release?.approvalWaits).toEqual([{ environment: 'production', since: 250, until: 251 }]);
    expect(release?.environments.find((e) => e.environment === 'production')).toMatchObject({
      requiresApproval: true,
      approval: { action: 'approve', by: 'alice', at: 251 },
    });
  });

  it('the HTML report has a release row per environment with its approval', () => {
    const html = reportHtml(trace);
    expect(html).toMatch(/<tr data-release="shop-api-[0-9a-f]{16}" data-environment="production">.*waited for approval 0?4:10 → 0?4:11; approved by alice at 0?4:11/);
    expect(html).toMatch(/data-environment="staging"><td><\/td>|data-environment="staging"><td><code>/);
  });
});
