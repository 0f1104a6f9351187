import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bufferIO } from '../../cli/io.js';
import { main } from '../../cli/main.js';
import { EXAMPLES_DIR, scenarioFileText } from '../../cli/simulate.js';
import { parseScenario } from '../../local/scenario.js';
import { BUILTIN_SCENARIOS } from '../../local/scenarios/builtin.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const EXAMPLES = join(ROOT, EXAMPLES_DIR);
const dir = mkdtempSync(join(tmpdir(), 'cutover-simulate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cutover(...argv: string[]) {
  const io = bufferIO({ cwd: ROOT, env: {} });
  const code = await main(argv, io);
  return { code, out: io.out(), err: io.err() };
}

describe('examples/scenarios', () => {
  it('holds every built-in scenario as a file, exactly as `npm run scenarios:export` writes it', () => {
    const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.json')).sort();
    expect(files).toEqual(BUILTIN_SCENARIOS.map((s) => `${s.name}.json`).sort());
    for (const s of BUILTIN_SCENARIOS) {
      expect(readFileSync(join(EXAMPLES, `${s.name}.json`), 'utf8'), `${s.name}.json is stale: run npm run scenarios:export`).toBe(scenarioFileText(s.name));
    }
  });

  it.each(BUILTIN_SCENARIOS.map((s) => s.name))('%s.json is a valid scenario file', (name) => {
    const raw = JSON.parse(readFileSync(join(EXAMPLES, `${name}.json`), 'utf8'));
    expect(parseScenario(raw, `${name}.json`).name).toBe(name);
  });
});

describe('cutover simulate', () => {
  it('--list lists the built-ins with what each shows', async () => {
    const { code, out } = await cutover('simulate', '--list');
    expect(code).toBe(0);
    expect(out.trim().split('\n')).toHaveLength(BUILTIN_SCENARIOS.length);
    expect(out).toMatch(/^bad-release-alarm +A bad release: its 5xx alarm fires/m);
  });

  it('--scenario FILE.json --json prints the summary as one JSON document; --report writes the page', async () => {
    const report = join(dir, 'bad.html');

    const { code, out, err } = await cutover('simulate', '--scenario', `${EXAMPLES_DIR}/bad-release-alarm.json`, '--json', '--report', report);

    expect(code).toBe(0);
    const summary = JSON.parse(out);
    expect(summary.scenario).toBe('bad-release-alarm');
    expect(summary.deployments).toEqual([expect.objectContaining({ status: 'ROLLED_BACK', reasonCode: 'AlarmTriggered' })]);
    // The Step Functions margins of the deployment: its largest payload and its history events.
    const [d] = summary.deployments;
    expect(d.largestPayloadBytes).toBeGreaterThan(1000);
    expect(d.largestPayloadBytes).toBeLessThanOrEqual(262_144);
    expect(d.historyEvents).toBeGreaterThan(d.stateTransitions);
    expect(d.historyEvents).toBeLessThan(25_000);
    expect(err).toBe(`report written to ${report}\n`);
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('data-kind="rollback"');
    expect(html).toContain('data-kind="shift"');
  }, 60_000);

  it('an unknown scenario name is a usage error', async () => {
    const { code, err } = await cutover('simulate', '--scenario', 'no-such-thing');
    expect(code).toBe(2);
    expect(err).toContain('no built-in scenario "no-such-thing"; run `cutover simulate --list`, or pass a FILE.json');
  });

  it('a scenario file with a mistake names the field', async () => {
    const raw = JSON.parse(scenarioFileText('good-canary'));
    raw.world.services[0].initialDigest = `sha256:${'0'.repeat(64)}`;
    raw.config.services[0].strategy.percent = 120;
    const file = join(dir, 'broken.json');
    writeFileSync(file, JSON.stringify(raw));

    const { code, err } = await cutover('simulate', '--scenario', file);

    expect(code).toBe(1);
    expect(err).toContain(`ValidationError: scenario ${file} is invalid:`);
    expect(err).toMatch(/ {2}- config\.services\[0\]\.strategy\.percent: .*120/);
  });

  it('a file that cannot be read says so and where to start', async () => {
    const { code, err } = await cutover('simulate', '--scenario', 'nowhere/x.json');
    expect(code).toBe(1);
    expect(err).toContain('cannot read scenario file nowhere/x.json');
    expect(err).toContain('next: check the path, or start from a file in examples/scenarios/');
  });

  it('--endpoint must be a URL', async () => {
    const { code, err } = await cutover('simulate', '--scenario', 'good-canary', '--endpoint', 'localhost');
    expect(code).toBe(2);
    expect(err).toContain('--endpoint must be an http(s) URL');
  });
});

describe('cutover simulate --endpoint', () => {
  it('sends the ECS, ELB, CloudWatch and ECR calls to that endpoint, and nothing else', async () => {
    // Prepare: a loopback endpoint that records each call and refuses it (like an empty account).
    const calls: string[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const target = req.headers['x-amz-target'];
        const action = /(?:^|&)Action=([A-Za-z]+)/.exec(body)?.[1];
        calls.push(String(target ?? `query:${action ?? '?'}`));
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'AccessDeniedException' });
        res.end(JSON.stringify({ __type: 'AccessDeniedException', message: 'this test endpoint holds nothing' }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = server.address() as AddressInfo;

    try {
      // Act
      const { out } = await cutover('simulate', '--scenario', 'good-canary', '--json', '--endpoint', `http://127.0.0.1:${port}`);

      // Assess: the handlers reached the endpoint (ECS/ECR over JSON, ELB and CloudWatch over the query protocol)...
      expect(calls.length).toBeGreaterThan(0);
      for (const c of calls) expect(c).toMatch(/^(AmazonEC2ContainerServiceV20141113\.|AmazonEC2ContainerRegistry_V20150921\.|GraniteServiceVersion20100801\.|query:)/);
      // ...found nothing there (intake asks ECR for the image's push time first, the time it trusts),
      // and nothing was deployed.
      expect(calls).toContain('AmazonEC2ContainerRegistry_V20150921.DescribeImages');
      const summary = JSON.parse(out);
      for (const d of summary.deployments) expect(d.status).not.toBe('SUCCEEDED');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }, 60_000);
});

describe('cutover demo', () => {
  it('rehearses a good canary and a bad release rolled back, and writes one report for both', async () => {
    const io = bufferIO({ cwd: dir, env: {}, isTTY: false });

    const code = await main(['demo', '--pace', '0'], io);

    expect(code).toBe(0);
    const out = io.out();
    expect(out).toMatch(/api-production-\w+: SUCCEEDED \(Promoted/);
    expect(out).toMatch(/api-production-\w+: ROLLED_BACK \(AlarmTriggered/);
    expect(out).toContain('[+02:00] api/production alarm api-5xx-b is ALARM');
    expect(out).toContain(`report: ${join(dir, 'cutover-report.html')}`);
    const html = readFileSync(join(dir, 'cutover-report.html'), 'utf8');
    expect(html.match(/data-scenario="/g)).toHaveLength(2);
  }, 90_000);
});
