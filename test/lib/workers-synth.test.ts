/** A control plane whose configuration holds a worker (no load balancer) synthesizes, and its green function may read green's tasks. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.js';
import { resourcesOfType, synthStack } from '../helpers/cdk.js';

describe('synth with a worker', () => {
  it('synthesizes; the green role can ListTasks/DescribeTasks and DescribeTaskDefinition', () => {
    const config = parseConfig({
      account: '123456789012',
      region: 'us-east-1',
      taskRoleArns: ['arn:aws:iam::123456789012:role/orders-*'],
      services: [
        {
          name: 'orders-worker',
          environment: 'production',
          cluster: 'shop',
          service: 'orders-worker',
          containerName: 'worker',
          repository: 'shop/orders-worker',
          strategy: { type: 'canary', percent: 10, bakeSeconds: 600 },
          alarms: ['orders-queue-age'],
          analysis: { metrics: { processed: { namespace: 'Orders', metricName: 'MessagesProcessed', dimensions: { version: '{version}' } } } },
        },
      ],
    });
    const { template } = synthStack({ config });
    const policies = resourcesOfType(template, 'AWS::IAM::Policy').filter(([id]) => /Green/i.test(id));
    const text = JSON.stringify(policies);
    expect(policies.length).toBeGreaterThan(0);
    expect(text).toContain('ecs:ListTasks');
    expect(text).toContain('ecs:DescribeTasks');
    expect(text).toContain('ecs:DescribeTaskDefinition');
  });
});
