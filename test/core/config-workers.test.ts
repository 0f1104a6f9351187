/** Workers in the configuration (issue #18): a service with no load balancer, its analysis metrics, and the partial mixes refused by name. */
import { describe, expect, it } from 'vitest';
import { isWorkerService, parseConfig } from '../../functions/core/config.js';
import { ConfigError } from '../../functions/core/errors.js';
import { trafficKindOf } from '../../functions/core/services.js';

const ELB = 'arn:aws:elasticloadbalancing:us-east-1:123456789012';
const LISTENER = `${ELB}:listener/app/shop-alb/50dc6c495c0c9188/f2f7dc8efc522ab2`;
const TG_A = `${ELB}:targetgroup/orders-a/6d0ecf831eec9f09`;
const TG_B = `${ELB}:targetgroup/orders-b/2a4b6c8d0e1f3a5b`;
const METRIC = (metricName: string) => ({ namespace: 'Orders', metricName, dimensions: { service: 'orders-worker', version: '{version}' } });

// biome-ignore lint/suspicious/noExplicitAny: raw JSON under test
function worker(extra: Record<string, any> = {}): Record<string, any> {
  return {
    services: [
      {
        name: 'orders-worker',
        environment: 'production',
        cluster: 'shop',
        service: 'orders-worker',
        containerName: 'worker',
        repository: 'shop/orders-worker',
        strategy: { type: 'canary', percent: 10, bakeSeconds: 600 },
        alarms: ['orders-queue-age', 'orders-dlq-depth'],
        analysis: { metrics: { processed: METRIC('MessagesProcessed'), errors: METRIC('MessagesFailed'), latency: METRIC('ProcessingTime') } },
        ...extra,
      },
    ],
  };
}

function problems(raw: unknown): readonly string[] {
  try {
    parseConfig(raw);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe('config: workers', () => {
  it('a service with no listener and no target groups is a worker with traffic task-share', () => {
    const config = parseConfig(worker());
    const svc = config.services[0];
    expect(svc && isWorkerService(svc)).toBe(true);
    expect(svc && trafficKindOf(svc)).toBe('task-share');
    expect(svc?.analysis.metrics?.processed.metricName).toBe('MessagesProcessed');
  });

  it('a worker with analysis enabled and no analysis.metrics is refused with the fix', () => {
    const p = problems(worker({ analysis: {} }));
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^services\[0\]\.analysis\.metrics: .*set analysis\.metrics .*or set analysis\.enabled false/);
  });

  it('a worker with analysis disabled needs no metrics', () => {
    expect(problems(worker({ analysis: { enabled: false } }))).toEqual([]);
  });

  it('a metric without {version} in any dimension is refused: both sides would read the same numbers', () => {
    const p = problems(worker({ analysis: { metrics: { processed: { namespace: 'Orders', metricName: 'MessagesProcessed', dimensions: { service: 'x' } } } } }));
    expect(p.join('\n')).toMatch(/analysis\.metrics\.processed\.dimensions: no value holds \{version\}/);
  });

  it('analysis.metrics on a web service is refused', () => {
    const p = problems(worker({ listenerArn: LISTENER, targetGroupArns: [TG_A, TG_B] }));
    expect(p).toEqual([expect.stringMatching(/analysis\.metrics: only for a worker/)]);
  });

  it.each([
    ['target groups without a listener', { targetGroupArns: [TG_A, TG_B] }, /partial load-balancer setup \(it sets targetGroupArns\).*set exactly one of listenerArn/],
    ['a listener without target groups', { listenerArn: LISTENER }, /partial load-balancer setup \(it sets listenerArn\).*add targetGroupArns/],
    ['a test listener alone', { testListenerArn: LISTENER }, /partial load-balancer setup \(it sets testListenerArn\)/],
  ])('a partial mix is refused by name: %s', (_name, fields, message) => {
    const p = problems(worker({ ...fields, analysis: { enabled: false } }));
    expect(p.join('\n')).toMatch(message);
    expect(p.join('\n')).toMatch(/a worker \(no load balancer/);
  });

  it('a web service still parses unchanged and selects alb-weights', () => {
    const config = parseConfig(worker({ listenerArn: LISTENER, targetGroupArns: [TG_A, TG_B], analysis: {} }));
    expect(config.services[0] && trafficKindOf(config.services[0])).toBe('alb-weights');
  });
});
