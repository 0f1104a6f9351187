/**
 * A scenario's `expect` against what the rehearsal did: one line per difference, in the order a
 * reader checks (deployments, releases, cleanup and scaling actions). Empty means the outcome is
 * the one the scenario was built to show. `cutover simulate` prints these and exits non-zero; the
 * test suite asserts the same with its own messages.
 */
import type { ScenarioSummary } from './rehearsal.js';
import type { Scenario } from './scenario.js';

const DEFAULT_ENVIRONMENT = 'production';

export function expectationDifferences(expected: Scenario['expect'], summary: ScenarioSummary): string[] {
  if (expected === undefined) return [];
  const out: string[] = [];

  const deployments = expected.deployments;
  const label = (d: { service: string; environment?: string | null | undefined }) => `${d.environment ?? DEFAULT_ENVIRONMENT}/${d.service}`;
  if (summary.deployments.length !== deployments.length) {
    out.push(
      `deployments: expected ${deployments.length} (${deployments.map((e) => `${label(e)} ${e.status}`).join(', ') || 'none'}), got ${summary.deployments.length} (${summary.deployments.map((d) => `${label(d)} ${d.status}`).join(', ') || 'none'})`,
    );
  }
  deployments.forEach((e, i) => {
    const d = summary.deployments[i];
    if (d === undefined) return;
    const at = `deployments[${i}]`;
    if (label(d) !== label(e)) out.push(`${at}: expected ${label(e)}, got ${label(d)}`);
    if (d.status !== e.status) out.push(`${at} (${label(d)}): expected ${e.status}, got ${d.status}${d.reason ? ` (${d.reason})` : ''}`);
    if (e.reasonCode !== undefined && d.reasonCode !== e.reasonCode) {
      out.push(`${at} (${label(d)}): expected reason ${e.reasonCode}, got ${d.reasonCode ?? 'none'}${d.reason ? ` (${d.reason})` : ''}`);
    }
  });

  if (expected.releases !== undefined) {
    const releases = summary.releases ?? [];
    if (releases.length !== expected.releases.length) {
      out.push(`releases: expected ${expected.releases.length} (${expected.releases.map((r) => r.status).join(', ') || 'none'}), got ${releases.length} (${releases.map((r) => r.status).join(', ') || 'none'})`);
    }
    expected.releases.forEach((e, i) => {
      const r = releases[i];
      if (r === undefined) return;
      const at = `releases[${i}] (${r.releaseId})`;
      if (r.status !== e.status) out.push(`${at}: expected ${e.status}, got ${r.status}${r.reason ? ` (${r.reason})` : ''}`);
      if (e.reasonCode !== undefined && r.reasonCode !== e.reasonCode) out.push(`${at}: expected reason ${e.reasonCode}, got ${r.reasonCode ?? 'none'}`);
      for (const [env, status] of Object.entries(e.environments ?? {})) {
        const got = r.environments.find((x) => x.environment === env)?.status;
        if (got !== status) out.push(`${at} environment ${env}: expected ${status}, got ${got ?? 'nothing recorded'}`);
      }
    });
  }

  // An operator input that waited for a state (`when`) which never came was never sent.
  for (const w of summary.waits ?? []) {
    if (w.deliveredAt === null) out.push(`waits: the ${w.action} at ${w.at} s waited for ${w.condition}, which did not come within ${w.withinSeconds} s; nothing was sent`);
  }

  if (expected.actions !== undefined) {
    const tally = new Map<string, number>();
    for (const a of summary.actions ?? []) tally.set(`${a.kind} ${a.outcome}`, (tally.get(`${a.kind} ${a.outcome}`) ?? 0) + 1);
    for (const e of expected.actions) {
      const got = tally.get(`${e.kind} ${e.outcome}`) ?? 0;
      if (got !== e.count) out.push(`actions: expected ${e.count} ${e.kind} ${e.outcome}, got ${got}`);
    }
  }
  return out;
}
