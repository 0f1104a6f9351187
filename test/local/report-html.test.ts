/**
 * The HTML report: a self-contained page (checked as text), and the demo's page rendered by a real
 * browser (headless Chromium, Debian's `chromium` package): the page lays out, and its SVG timeline
 * draws the traffic shifts and the rollback where they belong in time. The browser part is skipped,
 * with the reason in its name, when Chromium is not installed (`.ci/run` installs it).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CSP, renderReportHtml, renderReportsHtml } from '../../local/report/html.js';
import { buildReport } from '../../local/report/model.js';
import { runBuiltin, syntheticTrace } from './report.fixtures.js';

/** `data-kind` values of the SVG markers, in document order. */
const markerKinds = (html: string) => [...html.matchAll(/<g class="marker [^"]*" data-kind="([a-z]+)"/g)].map((m) => m[1]);

describe('the HTML report', () => {
  it('is one self-contained page: no script, stylesheet, image or font fetched from anywhere', () => {
    // Act
    const html = renderReportHtml(buildReport(syntheticTrace()));

    // Assess
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(html).not.toMatch(/\s(src|href)="(https?:)?\/\//i);
  });

  it('escapes text from the run (a description is not markup)', () => {
    const html = renderReportHtml(buildReport(syntheticTrace(), { description: '<script>alert(1)</script> & co' }));
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; co');
    expect(html).not.toContain('<script>');
  });

  it('shows a good canary: both shifts, the verdict and the promotion, no rollback', async () => {
    const trace = await runBuiltin('good-canary');

    const html = renderReportHtml(buildReport(trace));

    expect(markerKinds(html)).toEqual(['shift', 'verdict', 'shift', 'promote']);
    expect(html).toContain('data-percent="10"');
    expect(html).toContain('data-percent="100"');
    expect(html).toContain('data-verdict="Pass"');
    expect(html).toContain('data-status="SUCCEEDED"');
    expect(html).toContain('data-series="errors-green"');
    expect(html).toContain('data-series="latency-blue"');
  });

  it('shows a bad release: the shift, the alarm and the rollback, in that order', async () => {
    const trace = await runBuiltin('bad-release-alarm');

    const html = renderReportHtml(buildReport(trace));

    expect(markerKinds(html)).toEqual(['shift', 'alarm', 'rollback']);
    expect(html).toMatch(/data-kind="alarm"[^>]*data-alarm="api-5xx-b" data-state="ALARM"/);
    expect(html).toMatch(/data-kind="rollback"[^>]*data-reason="AlarmTriggered"/);
    expect(html).toContain('data-status="ROLLED_BACK"');
    expect(html).toContain('Rollback: traffic back on blue');
    expect(html).toContain('no violation');
  });

  it('puts several scenarios on one page with unique anchors', async () => {
    const reports = [buildReport(await runBuiltin('good-canary')), buildReport(await runBuiltin('bad-release-alarm'))];

    const html = renderReportsHtml(reports, 'Cutover demo');

    expect(html).toContain('<title>Cutover demo</title>');
    expect(html.match(/data-scenario="/g)).toHaveLength(2);
    const ids = [...html.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(html.match(/<html/g)).toHaveLength(1);
  });
});

// ------------------------------------------------------------------ in a browser

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const work = mkdtempSync(join(tmpdir(), 'cutover-report-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * After layout, the probe writes every marker's rendered box (x, width, height) and the timeline's
 * box into attributes, so the dumped DOM says what the browser drew. Only this test copy of the page
 * runs a script (its CSP is widened for it); the report itself runs none.
 */
const PROBE = `<script>
for (const svg of document.querySelectorAll('svg.timeline')) {
  const s = svg.getBoundingClientRect();
  svg.setAttribute('data-box', [s.x, s.width, s.height].map(Math.round).join(','));
  for (const g of svg.querySelectorAll('g.marker')) {
    const line = g.querySelector('line').getBoundingClientRect();
    const label = g.querySelector('text').getBoundingClientRect();
    g.setAttribute('data-box', [line.x, line.height, label.width].map(Math.round).join(','));
  }
}
document.body.setAttribute('data-probed', 'yes');
</script>`;

function chromium(args: string[]): Promise<string> {
  const profile = mkdtempSync(join(work, 'profile-'));
  const flags = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    `--user-data-dir=${profile}`,
    '--window-size=1100,1400',
  ];
  return new Promise((resolve, reject) => {
    execFile(CHROMIUM as string, [...flags, ...args], { timeout: 60_000, maxBuffer: 32 * 1024 * 1024 }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    );
  });
}

interface Drawn {
  kind: string;
  at: number;
  x: number;
  height: number;
  labelWidth: number;
}

/** Markers of one deployment's SVG as the browser drew them. */
function drawnMarkers(dom: string, deploymentIndex: number): { box: number[]; markers: Drawn[] } {
  const svgs = [...dom.matchAll(/<svg class="timeline"[^>]*data-box="([^"]+)"[^>]*>([\s\S]*?)<\/svg>/g)];
  const svg = svgs[deploymentIndex];
  if (!svg) throw new Error(`no rendered timeline #${deploymentIndex} in the dumped DOM`);
  const markers = [...(svg[2] ?? '').matchAll(/<g class="marker[^"]*" data-kind="([a-z]+)" data-at="(\d+)"[^>]*data-box="([^"]+)"/g)].map((m) => {
    const [x, height, labelWidth] = (m[3] ?? '').split(',').map(Number);
    return { kind: m[1] as string, at: Number(m[2]), x: x as number, height: height as number, labelWidth: labelWidth as number };
  });
  return { box: (svg[1] ?? '').split(',').map(Number), markers };
}

const skipReason = CHROMIUM ? '' : ' (SKIPPED: no Chromium at /usr/bin/chromium; apt-get install chromium)';

describe.skipIf(!CHROMIUM)(`the demo report in headless Chromium${skipReason}`, () => {
  it('draws the shift points and the rollback on the timeline, in time order, inside the chart', async () => {
    // Prepare: the demo's page (good canary, then the bad release), with the probe.
    const reports = [buildReport(await runBuiltin('good-canary')), buildReport(await runBuiltin('bad-release-alarm'))];
    const html = renderReportsHtml(reports, 'Cutover demo').replace(CSP, `${CSP}; script-src 'unsafe-inline'`).replace('</body>', `${PROBE}</body>`);
    const file = join(work, 'report.html');
    writeFileSync(file, html);

    // Act
    const dom = await chromium(['--virtual-time-budget=5000', '--dump-dom', `file://${file}`]);

    // Assess: the probe ran after layout.
    expect(dom).toContain('data-probed="yes"');
    const good = drawnMarkers(dom, 0);
    const bad = drawnMarkers(dom, 1);
    const [left, width] = good.box as [number, number];
    expect(width).toBeGreaterThan(600);

    // Good canary: two shifts (10 %, then 100 %), drawn left to right as their times go.
    const shifts = good.markers.filter((m) => m.kind === 'shift');
    expect(shifts).toHaveLength(2);
    expect((shifts[1] as Drawn).x).toBeGreaterThan((shifts[0] as Drawn).x);
    for (const m of good.markers) {
      expect(m.x).toBeGreaterThanOrEqual(left);
      expect(m.x).toBeLessThanOrEqual(left + width);
      expect(m.height).toBeGreaterThan(100); // the line crosses the panels
      expect(m.labelWidth).toBeGreaterThan(0); // and its label is drawn
    }
    expect(good.markers.some((m) => m.kind === 'rollback')).toBe(false);

    // Bad release: the shift, then the rollback to its right.
    const shift = bad.markers.find((m) => m.kind === 'shift') as Drawn;
    const rollback = bad.markers.find((m) => m.kind === 'rollback') as Drawn;
    expect(shift).toBeDefined();
    expect(rollback).toBeDefined();
    expect(rollback.x).toBeGreaterThan(shift.x);
    expect(rollback.at).toBeGreaterThan(shift.at);
    expect(rollback.height).toBeGreaterThan(100);
    expect(bad.markers.find((m) => m.kind === 'alarm')?.x).toBeCloseTo(rollback.x, -1);
  }, 90_000);

  it('renders the page as shipped (no script, strict CSP) to an image', async () => {
    const html = renderReportsHtml([buildReport(await runBuiltin('bad-release-alarm'))]);
    const file = join(work, 'plain.html');
    const png = join(work, 'plain.png');
    writeFileSync(file, html);

    await chromium(['--hide-scrollbars', `--screenshot=${png}`, `file://${file}`]);

    expect(existsSync(png)).toBe(true);
  }, 90_000);
});
