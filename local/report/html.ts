/**
 * The rehearsal report as one self-contained HTML page: inline CSS and SVG, no script, no font or
 * image fetched from anywhere (open it from disk, attach it to a ticket, serve it from S3).
 *
 * Per deployment one SVG timeline with three panels on a shared time axis — production weights
 * (green stacked under blue), the 5xx error rate and the mean latency of each target group — and
 * vertical markers for every shift, alarm, verdict, promotion and the rollback; then the step table.
 * Every marker is a `<g data-kind="shift|alarm|verdict|promote|rollback|control" data-at="...">` so
 * tools (and the browser test) can find them.
 */
import {
  buildReport,
  clockText,
  type DeploymentReport,
  type Marker,
  type MetricPoint,
  type ScenarioReport,
  shortDigest,
} from './model.js';
import type { ScenarioTrace } from '../rehearsal.js';

export const COLORS = {
  blue: '#2f6fde',
  green: '#159a57',
  alarm: '#d93025',
  rollback: '#a50e0e',
  verdict: '#7b3fc4',
  shift: '#5f6368',
  promote: '#137333',
  control: '#b06000',
  grid: '#e3e6ea',
  axis: '#5f6368',
  bake: '#fff4d6',
} as const;

const esc = (s: unknown): string =>
  String(s ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

const fmt = (n: number, digits = 1): string => (Number.isInteger(n) ? String(n) : n.toFixed(digits));

/** A "nice" upper bound for an axis: 1, 2, 2.5, 5 x 10^k at or above `max`. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const exp = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * exp >= max) return m * exp;
  return 10 * exp;
}

/** Tick spacing (ms) giving about 6-10 ticks over `spanMs`. */
export function tickStepMs(spanMs: number): number {
  const steps = [10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 21_600, 43_200, 86_400].map((s) => s * 1000);
  return steps.find((s) => spanMs / s <= 10) ?? 86_400_000;
}

// ------------------------------------------------------------------------------------------- SVG

const WIDTH = 980;
const LEFT = 64;
const RIGHT = 20;
const LABEL_ROW = 15;
const MAX_LABEL_ROWS = 5;
const PANEL_GAP = 38;
const PANELS = [
  { key: 'traffic', title: 'Production traffic (weight %)', height: 120 },
  { key: 'errors', title: '5xx error rate (%)', height: 80 },
  { key: 'latency', title: 'Mean latency (ms)', height: 80 },
] as const;

interface Layout {
  readonly x: (ms: number) => number;
  readonly labelRows: number;
  readonly top: Record<(typeof PANELS)[number]['key'], number>;
  readonly plotTop: number;
  readonly plotBottom: number;
  readonly height: number;
}

function layout(d: DeploymentReport, labelRowsUsed: number): Layout {
  const x = xScale(d);
  let y = 8 + labelRowsUsed * LABEL_ROW + 24;
  const plotTop = y;
  const top = {} as Record<(typeof PANELS)[number]['key'], number>;
  for (const p of PANELS) {
    top[p.key] = y;
    y += p.height + PANEL_GAP;
  }
  const plotBottom = y - PANEL_GAP;
  return { x, labelRows: labelRowsUsed, top, plotTop, plotBottom, height: plotBottom + 34 };
}

function xScale(d: DeploymentReport): (ms: number) => number {
  const span = Math.max(1000, d.windowEndMs - d.windowStartMs);
  const plotWidth = WIDTH - LEFT - RIGHT;
  return (ms: number) => LEFT + ((ms - d.windowStartMs) / span) * plotWidth;
}

function panelFrame(l: Layout, key: (typeof PANELS)[number]['key'], maxY: number, unit: string): string {
  const p = PANELS.find((q) => q.key === key) as (typeof PANELS)[number];
  const top = l.top[key];
  const ticks = [0, maxY / 2, maxY];
  const out = [`<text class="panel-title" x="${LEFT}" y="${top - 7}">${esc(p.title)}</text>`];
  for (const t of ticks) {
    const y = top + p.height - (t / maxY) * p.height;
    out.push(`<line class="grid" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}"/>`);
    out.push(`<text class="tick" x="${LEFT - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end">${esc(fmt(t, t < 10 ? 1 : 0))}${unit}</text>`);
  }
  return out.join('');
}

function xAxis(d: DeploymentReport, l: Layout, originMs: number): string {
  const step = tickStepMs(d.windowEndMs - d.windowStartMs);
  const first = originMs + Math.ceil((d.windowStartMs - originMs) / step) * step;
  const out: string[] = [];
  for (let t = first; t <= d.windowEndMs; t += step) {
    const x = l.x(t).toFixed(1);
    out.push(`<line class="vgrid" x1="${x}" x2="${x}" y1="${l.plotTop}" y2="${l.plotBottom}"/>`);
    out.push(`<text class="tick" x="${x}" y="${l.plotBottom + 16}" text-anchor="middle">${clockText(t - originMs)}</text>`);
  }
  out.push(`<text class="tick" x="${WIDTH - RIGHT}" y="${l.plotBottom + 30}" text-anchor="end">virtual time since the scenario start (mm:ss)</text>`);
  return out.join('');
}

function trafficPanel(d: DeploymentReport, l: Layout): string {
  const h = PANELS[0].height;
  const top = l.top.traffic;
  const yOf = (pct: number) => top + h - (pct / 100) * h;
  if (d.greenWeight.length === 0) {
    return `<rect x="${LEFT}" y="${top}" width="${WIDTH - LEFT - RIGHT}" height="${h}" fill="${COLORS.blue}" opacity="0.25"/>`;
  }
  // A step function: hold each value until the next point, then the end of the window.
  const pts: Array<[number, number]> = [];
  d.greenWeight.forEach((p, i) => {
    if (i > 0) pts.push([l.x(p.at), yOf(d.greenWeight[i - 1]?.percent ?? 0)]);
    pts.push([l.x(p.at), yOf(p.percent)]);
  });
  pts.push([l.x(d.windowEndMs), yOf(d.greenWeight.at(-1)?.percent ?? 0)]);
  const line = pts.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
  const x0 = l.x(d.windowStartMs).toFixed(1);
  const x1 = l.x(d.windowEndMs).toFixed(1);
  const bottom = (top + h).toFixed(1);
  const points = d.greenWeight
    .map((p) => `<circle class="weight-point" data-at="${p.at}" data-green="${p.percent}" cx="${l.x(p.at).toFixed(1)}" cy="${yOf(p.percent).toFixed(1)}" r="2.5" fill="${COLORS.green}"><title>${esc(`${clockText(p.at - d.windowStartMs)} into the window: green ${p.percent} % / blue ${100 - p.percent} %`)}</title></circle>`)
    .join('');
  return [
    `<rect class="area-blue" x="${x0}" y="${top}" width="${(Number(x1) - Number(x0)).toFixed(1)}" height="${h}" fill="${COLORS.blue}" opacity="0.28"/>`,
    `<polygon class="area-green" data-series="green-weight" points="${x0},${bottom} ${line} ${x1},${bottom}" fill="${COLORS.green}" opacity="0.55"/>`,
    `<polyline class="weight-line" points="${line}" fill="none" stroke="${COLORS.green}" stroke-width="2"/>`,
    // Labelled where each side starts: blue on top at the left, green along the bottom.
    `<text class="area-label" x="${LEFT + 6}" y="${top + 14}" fill="${COLORS.blue}">blue ${esc(d.blueTargetGroup ? nameOf(d, 'blue') : '')}</text>`,
    `<text class="area-label" x="${LEFT + 6}" y="${top + h - 6}" fill="${COLORS.green}">green ${esc(d.greenTargetGroup ? nameOf(d, 'green') : '')}</text>`,
    points,
  ].join('');
}

const nameOf = (d: DeploymentReport, role: 'blue' | 'green') => d.targetGroups.find((t) => t.role === role)?.name ?? '';

function metricPanel(d: DeploymentReport, l: Layout, key: 'errors' | 'latency'): string {
  const h = PANELS.find((p) => p.key === key)?.height ?? 80;
  const top = l.top[key];
  const value = (p: MetricPoint) => (key === 'errors' ? p.errorRatePct : p.latencyMs);
  const all = d.targetGroups.flatMap((t) => t.points.map(value)).filter((v): v is number => v !== null);
  const maxY = niceMax(Math.max(key === 'errors' ? 1 : 10, ...all));
  const out = [panelFrame(l, key, maxY, key === 'errors' ? ' %' : '')];
  const clampX = (ms: number) => Math.min(Math.max(ms, d.windowStartMs), d.windowEndMs);
  for (const tg of d.targetGroups) {
    const color = tg.role === 'blue' ? COLORS.blue : COLORS.green;
    const pts = tg.points
      .filter((p) => value(p) !== null && p.requests > 0)
      .map((p) => ({ p, x: l.x(clampX(p.at + 30_000)), y: top + h - ((value(p) as number) / maxY) * h }));
    if (pts.length > 1) {
      out.push(
        `<polyline class="metric-line" data-series="${key}-${tg.role}" points="${pts.map((q) => `${q.x.toFixed(1)},${q.y.toFixed(1)}`).join(' ')}" fill="none" stroke="${color}" stroke-width="2"/>`,
      );
    }
    for (const q of pts) {
      const text = `${tg.name} (${tg.role}), minute from ${clockText(q.p.at - d.windowStartMs)} into the window: ${q.p.requests} requests, ${q.p.errors} 5xx (${fmt(q.p.errorRatePct ?? 0, 2)} %), ${q.p.latencyMs === null ? 'no latency' : `${fmt(q.p.latencyMs, 1)} ms`}`;
      out.push(
        `<circle class="metric-point" data-series="${key}-${tg.role}" cx="${q.x.toFixed(1)}" cy="${q.y.toFixed(1)}" r="3" fill="${color}"><title>${esc(text)}</title></circle>`,
      );
    }
  }
  return out.join('');
}

/** Assign each label a row so that labels in a row do not overlap (estimated text widths). */
export function labelRows(xs: ReadonlyArray<{ x: number; width: number }>, rows: number): number[] {
  const ends = new Array<number>(rows).fill(Number.NEGATIVE_INFINITY);
  return xs.map(({ x, width }) => {
    let row = ends.findIndex((end) => end + 6 <= x);
    if (row < 0) row = ends.indexOf(Math.min(...ends));
    ends[row] = x + width;
    return row;
  });
}

const MARKER_STYLE: Record<Marker['kind'], { color: string; dash: string; width: number }> = {
  shift: { color: COLORS.shift, dash: '4 3', width: 1.2 },
  alarm: { color: COLORS.alarm, dash: '2 2', width: 1.6 },
  verdict: { color: COLORS.verdict, dash: '6 3', width: 1.4 },
  promote: { color: COLORS.promote, dash: '1 3', width: 1.6 },
  rollback: { color: COLORS.rollback, dash: '', width: 3 },
  control: { color: COLORS.control, dash: '5 2', width: 1.4 },
};

interface PlacedMarker {
  readonly m: Marker;
  readonly x: number;
  readonly row: number;
  /** Labels near the right edge are drawn to the left of their line. */
  readonly anchorEnd: boolean;
}

const labelWidth = (label: string) => 8 + label.length * 6.6;

/** Where each marker's label goes: x, row (no overlaps within a row), side of the line. */
function placeMarkers(d: DeploymentReport): PlacedMarker[] {
  const x = xScale(d);
  const spans = d.markers.map((m) => {
    const mx = x(m.at);
    const w = labelWidth(m.label);
    const anchorEnd = mx + w > WIDTH - 2;
    return { m, x: mx, anchorEnd, start: anchorEnd ? mx - w : mx, width: w };
  });
  const rows = labelRows(
    spans.map((s) => ({ x: s.start, width: s.width })),
    MAX_LABEL_ROWS,
  );
  return spans.map((s, i) => ({ m: s.m, x: s.x, anchorEnd: s.anchorEnd, row: rows[i] ?? 0 }));
}

function markers(placed: readonly PlacedMarker[], l: Layout, originMs: number): string {
  return placed
    .map(({ m, x, row, anchorEnd }) => {
      const s = MARKER_STYLE[m.kind];
      const labelY = 8 + (row + 1) * LABEL_ROW;
      const data = Object.entries(m.data)
        .map(([k, v]) => ` data-${esc(k)}="${esc(v)}"`)
        .join('');
      const x1 = x.toFixed(1);
      const tx = (anchorEnd ? x - 3 : x + 3).toFixed(1);
      return [
        `<g class="marker marker-${m.kind}" data-kind="${m.kind}" data-at="${m.at}" data-t="${Math.round((m.at - originMs) / 1000)}"${data}>`,
        `<title>${esc(`${clockText(m.at - originMs)} ${m.detail}`)}</title>`,
        `<line x1="${x1}" x2="${x1}" y1="${labelY + 3}" y2="${l.plotBottom}" stroke="${s.color}" stroke-width="${s.width}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`,
        m.kind === 'alarm' ? `<path d="M${x1} ${l.top.traffic - 2} l-5 -8 h10 z" fill="${s.color}"/>` : '',
        `<text class="marker-label" x="${tx}" y="${labelY}" fill="${s.color}"${anchorEnd ? ' text-anchor="end"' : ''}>${esc(m.label)}</text>`,
        '</g>',
      ].join('');
    })
    .join('');
}

/** Light shading of every bake window (from the bake's start to the next step). */
function bakes(d: DeploymentReport, l: Layout): string {
  const out: string[] = [];
  d.steps.forEach((s, i) => {
    if (s.kind !== 'bake') return;
    const end = d.steps.slice(i + 1).find((n) => n.at > s.at)?.at ?? d.endMs;
    const x0 = l.x(s.at);
    const w = Math.max(0, l.x(end) - x0).toFixed(1);
    // Shaded where the bake is measured (the metric panels), labelled once.
    for (const key of ['errors', 'latency'] as const) {
      const h = PANELS.find((p) => p.key === key)?.height ?? 80;
      out.push(`<rect class="bake" data-kind="bake" data-at="${s.at}" x="${x0.toFixed(1)}" y="${l.top[key]}" width="${w}" height="${h}" fill="${COLORS.bake}"/>`);
    }
    out.push(`<text class="bake-label" x="${(x0 + 4).toFixed(1)}" y="${l.top.errors + 12}">bake ${clockText(end - s.at)}</text>`);
  });
  return out.join('');
}

/** The SVG timeline of one deployment. */
export function timelineSvg(d: DeploymentReport, originMs: number): string {
  const placed = placeMarkers(d);
  const l = layout(d, Math.max(1, ...placed.map((p) => p.row + 1)));
  const h = PANELS[0].height;
  return [
    `<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${l.height}" width="${WIDTH}" height="${l.height}" role="img" aria-label="${esc(`Timeline of ${d.deploymentId}`)}" data-deployment="${esc(d.deploymentId)}" data-window-start="${d.windowStartMs}" data-window-end="${d.windowEndMs}">`,
    bakes(d, l),
    xAxis(d, l, originMs),
    `<text class="panel-title" x="${LEFT}" y="${l.top.traffic - 7}">${esc(PANELS[0].title)}</text>`,
    trafficPanel(d, l),
    [0, 50, 100]
      .map((t) => {
        const y = l.top.traffic + h - (t / 100) * h;
        return `<text class="tick" x="${LEFT - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end">${t} %</text>`;
      })
      .join(''),
    metricPanel(d, l, 'errors'),
    metricPanel(d, l, 'latency'),
    markers(placed, l, originMs),
    '</svg>',
  ].join('\n');
}

// ------------------------------------------------------------------------------------------ HTML

const STATUS_TONE: Record<string, string> = {
  SUCCEEDED: 'ok',
  ROLLED_BACK: 'bad',
  FAILED: 'bad',
  REJECTED: 'bad',
  SUPERSEDED: 'info',
};

function deploymentSection(d: DeploymentReport, originMs: number, index: number): string {
  const facts: Array<[string, string]> = [
    ['image', `${d.image.repository ?? ''}${d.image.tag ? `:${d.image.tag}` : ''} ${shortDigest(d.image.digest)}`],
    ['strategy', `${d.strategy ?? '—'}${d.plan ? ` (${d.plan})` : ''}`],
    ['started', `${clockText(d.startMs - originMs)}, ran ${clockText(d.endMs - d.startMs)} (virtual)`],
    ['cost', `${d.stateTransitions} state transitions, ${d.lambdaInvocations} Lambda invocations`],
  ];
  if (d.rollbackReaction) {
    facts.push(['rollback reaction', `${d.rollbackReaction.transitions} transitions, ${d.rollbackReaction.virtualSeconds} s from the alarm to traffic on blue`]);
  }
  if (d.reason) facts.push(['reason', d.reason]);
  const tone = STATUS_TONE[d.status] ?? 'info';
  const legend = [
    `<span class="key" style="--c:${COLORS.blue}">blue${d.blueTargetGroup ? ` ${esc(nameOf(d, 'blue'))}` : ''} (stable)</span>`,
    `<span class="key" style="--c:${COLORS.green}">green${d.greenTargetGroup ? ` ${esc(nameOf(d, 'green'))}` : ''} (new)</span>`,
    `<span class="key line" style="--c:${COLORS.shift}">shift</span>`,
    `<span class="key line" style="--c:${COLORS.alarm}">alarm</span>`,
    `<span class="key line" style="--c:${COLORS.verdict}">analysis verdict</span>`,
    `<span class="key line" style="--c:${COLORS.promote}">promoted</span>`,
    `<span class="key line thick" style="--c:${COLORS.rollback}">rollback</span>`,
    `<span class="key" style="--c:${COLORS.bake}">bake</span>`,
  ].join('');
  const rows = d.steps
    .map(
      (s) =>
        `<tr class="step ${s.tone}" data-kind="${esc(s.kind)}"><td class="t">${clockText(s.at - originMs)}</td><td>${esc(s.title)}</td><td>${esc(s.detail)}</td></tr>`,
    )
    .join('\n');
  return `
<section class="deployment" id="d${index}" data-deployment="${esc(d.deploymentId)}" data-status="${esc(d.status)}">
  <h2><span class="svc">${esc(d.service)}/${esc(d.environment)}</span> <code>${esc(d.deploymentId)}</code> <span class="badge ${tone}">${esc(d.status)}</span></h2>
  <dl>${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>
  ${d.steps.length > 0 ? `<div class="legend">${legend}</div>\n  <div class="chart">${timelineSvg(d, originMs)}</div>` : '<p class="note">No deployment record: the execution ended before it created one.</p>'}
  ${rows ? `<table class="steps"><thead><tr><th>time</th><th>step</th><th>detail</th></tr></thead><tbody>\n${rows}\n</tbody></table>` : ''}
</section>`;
}

/** The page fetches nothing and runs nothing: its own inline styles only. */
export const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

const CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #202124; margin: 0; background: #f6f7f9; }
main { max-width: 1020px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 0 0 10px; display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
code { font: 12.5px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #eef0f3; padding: 1px 5px; border-radius: 4px; }
.sub { color: #5f6368; margin: 0 0 18px; }
.overview { border-collapse: collapse; margin: 0 0 22px; background: #fff; border: 1px solid #dadce0; border-radius: 8px; }
.overview td, .overview th { padding: 6px 12px; text-align: left; border-bottom: 1px solid #eceef1; }
.deployment { background: #fff; border: 1px solid #dadce0; border-radius: 10px; padding: 16px 18px 18px; margin: 0 0 22px; }
.badge { font-size: 12px; font-weight: 600; padding: 2px 8px; border-radius: 10px; letter-spacing: .02em; }
.badge.ok { background: #e6f4ea; color: #137333; } .badge.bad { background: #fce8e6; color: #a50e0e; } .badge.info { background: #e8f0fe; color: #1a4fb5; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0 0 12px; font-size: 13px; }
dt { color: #5f6368; } dd { margin: 0; overflow-wrap: anywhere; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 14px; font-size: 12px; color: #3c4043; margin: 0 0 4px; }
.key::before { content: ""; display: inline-block; width: 12px; height: 10px; background: var(--c); margin-right: 5px; vertical-align: -1px; border-radius: 2px; }
.key.line::before { height: 0; border-top: 2px dashed var(--c); background: none; vertical-align: 3px; }
.key.thick::before { border-top: 3px solid var(--c); }
.chart { overflow-x: auto; }
svg.timeline { display: block; max-width: 100%; height: auto; font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
svg .grid { stroke: ${COLORS.grid}; } svg .vgrid { stroke: #f0f1f3; }
svg .tick { font-size: 11px; fill: ${COLORS.axis}; }
svg .panel-title { font-size: 12px; font-weight: 600; fill: #3c4043; }
svg .marker-label { font-size: 11px; font-weight: 600; }
svg .area-label { font-size: 11px; font-weight: 600; }
svg .bake-label { font-size: 10.5px; fill: #8a6d00; }
table.steps { width: 100%; border-collapse: collapse; font-size: 12.5px; margin-top: 10px; }
table.steps th { text-align: left; color: #5f6368; font-weight: 600; border-bottom: 1px solid #dadce0; padding: 4px 8px; }
table.steps td { border-bottom: 1px solid #f0f1f3; padding: 4px 8px; vertical-align: top; overflow-wrap: anywhere; }
table.steps td.t { font-variant-numeric: tabular-nums; white-space: nowrap; color: #5f6368; }
table.steps td:nth-child(2) { white-space: nowrap; }
tr.step.ok td:nth-child(2) { color: #137333; font-weight: 600; } tr.step.bad td:nth-child(2) { color: #a50e0e; font-weight: 600; }
.note { color: #5f6368; }
footer { color: #5f6368; font-size: 12.5px; }
.violations li { color: #a50e0e; }
`;

/** The releases: one row per environment, with its approval wait and who approved or aborted it, when. */
function releasesTable(report: ScenarioReport): string {
  if (!report.releases || report.releases.length === 0) return '';
  const rows = report.releases.flatMap((r) =>
    r.environments.map(
      (e, i) =>
        `<tr data-release="${esc(r.releaseId)}" data-environment="${esc(e.environment)}"><td>${i === 0 ? `<code>${esc(r.releaseId)}</code> <span class="badge ${STATUS_TONE[r.status] ?? 'info'}">${esc(r.status)}</span>` : ''}</td><td>${esc(e.environment)}</td><td>${esc(e.status)}</td><td>${esc(e.services)}</td><td>${esc(e.approval)}</td></tr>`,
    ),
  );
  return `<table class="overview releases"><thead><tr><th>release</th><th>environment</th><th>status</th><th>deployments</th><th>approval</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table>`;
}

/** The whole page for a scenario report. */
export function renderReportHtml(report: ScenarioReport): string {
  const origin = report.startMs;
  const overview = report.deployments
    .map(
      (d, i) =>
        `<tr><td><a href="#d${i}">${esc(d.service)}/${esc(d.environment)}</a></td><td><code>${esc(d.deploymentId)}</code></td><td><span class="badge ${STATUS_TONE[d.status] ?? 'info'}">${esc(d.status)}</span></td><td>${esc(d.reasonCode ?? '')}</td><td>${clockText(d.endMs - d.startMs)}</td></tr>`,
    )
    .join('\n');
  const violations =
    report.invariantViolations.length === 0
      ? '<p>Safety invariants checked after every state: <strong>no violation</strong>.</p>'
      : `<p>Safety invariant violations:</p><ul class="violations">${report.invariantViolations.map((v) => `<li>${esc(v)}</li>`).join('')}</ul>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<title>Cutover rehearsal: ${esc(report.scenario)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1>Cutover rehearsal: ${esc(report.scenario)}</h1>
<p class="sub">${esc(report.description ?? '')} Rehearsed on the local runtime (real state machines and handlers, in-memory AWS, virtual clock); ${clockText(report.endMs - report.startMs)} of virtual time, ${report.apiCalls} AWS API calls.</p>
<table class="overview"><thead><tr><th>service</th><th>deployment</th><th>status</th><th>reason</th><th>duration</th></tr></thead><tbody>
${overview}
</tbody></table>
${releasesTable(report)}
${report.deployments.map((d, i) => deploymentSection(d, origin, i)).join('\n')}
<footer>${violations}</footer>
</main>
</body>
</html>
`;
}

/** Several scenarios (the demo) on one page: each scenario's sections in order. */
export function renderReportsHtml(reports: readonly ScenarioReport[], title = 'Cutover demo'): string {
  if (reports.length === 1) return renderReportHtml(reports[0] as ScenarioReport);
  const pages = reports.map((r) => renderReportHtml(r));
  const bodies = pages.map((p, i) => {
    const main = /<main>([\s\S]*)<\/main>/.exec(p)?.[1] ?? '';
    // Keep the anchors unique across scenarios.
    return `<div class="scenario" data-scenario="${esc(reports[i]?.scenario)}">${main.replace(/(id="|href="#)d(\d+)"/g, `$1s${i}d$2"`)}</div>`;
  });
  const head = (pages[0] ?? '').split('<body>')[0]?.replace(/<title>[^<]*<\/title>/, `<title>${esc(title)}</title>`) ?? '';
  return `${head}<body>\n<main>\n${bodies.join('\n<hr>\n')}\n</main>\n</body>\n</html>\n`;
}

/** Convenience: the report page of one trace. */
export function reportHtml(trace: ScenarioTrace, meta: { description?: string } = {}): string {
  return renderReportHtml(buildReport(trace, meta));
}
