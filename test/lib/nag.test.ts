// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ASL placeholders are literally ${Name}
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.js';
import { flattenCfnReference, wildcardFindingIds } from '../../lib/nag.js';
import { CutoverStack } from '../../lib/cutover-stack.js';
import {
  everyFeatureConfig,
  exampleConfig,
  FIXTURES,
  manyServices,
  synthWithNag,
  testApp,
  unacknowledged,
  type ValidationReport,
} from '../helpers/cdk.js';

// The first synth in a worker starts CDK's WebAssembly CloudFormation validator (~5 s).
const SLOW = 120_000;

describe('cdk-nag AwsSolutions checks', () => {
  it(
    'the control plane has no unacknowledged finding (cdk-nag and CDK validation)',
    () => {
      const { threw, report } = synthWithNag();

      expect(unacknowledged(report)).toEqual([]);
      expect(report.pluginReports.every((p) => p.conclusion !== 'failure')).toBe(true);
      expect(threw).toBe(false);
    },
    SLOW,
  );

  it(
    'nor with 50 services, 5 of them scaled (scoped ARNs acknowledged per service or per cluster)',
    () => {
      const { threw, report } = synthWithNag({
        config: parseConfig(manyServices(50, { clusters: 3, scaling: { services: 5, targetCpu: true, schedules: 1, alarms: 1 } })),
        cfnValidation: false,
      });
      expect(unacknowledged(report)).toEqual([]);
      expect(threw).toBe(false);
    },
    SLOW,
  );

  it(
    'nor with every supported state-machine integration and every optional feature',
    () => {
      const { threw, report } = synthWithNag({
        config: everyFeatureConfig(),
        controlPlane: { handlersDir: FIXTURES.handlersDir, stateMachinesDir: FIXTURES.allIntegrationsDir },
        // CDK's CloudFormation validation too: the scaling resources and schedules are checked
      });
      expect(unacknowledged(report)).toEqual([]);
      expect(threw).toBe(false);
    },
    SLOW,
  );

  it(
    'an unacknowledged finding is reported (the check above can fail)',
    () => {
      // Prepare: the same app plus a queue nobody vouches for.
      const app = testApp();
      const stack = new CutoverStack(app, 'CutoverStack', {
        config: exampleConfig(),
        controlPlane: { handlersDir: FIXTURES.handlersDir, stateMachinesDir: FIXTURES.stateMachinesDir },
      });
      new Queue(stack, 'Unvouched');
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

      // Act / Assess
      expect(() => app.synth()).toThrow();
      const { report } = readReport(app.outdir);
      expect(unacknowledged(report).sort()).toEqual([
        'AwsSolutions: AwsSolutions-SQS3 at CutoverStack/Unvouched/Resource',
        'AwsSolutions: AwsSolutions-SQS4 at CutoverStack/Unvouched/Resource',
      ]);
    },
    SLOW,
  );
});

describe('wildcard finding ids match cdk-nag', () => {
  it('literal, token and joined resources', () => {
    const stack = new Stack(testApp(), 'S', { env: { account: '123456789012', region: 'us-east-1' } });
    const role = new Role(stack, 'R', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    const statement = new PolicyStatement({
      actions: ['ecs:Describe*', 'ecs:UpdateTaskSet'],
      resources: ['*', `arn:${stack.partition}:ecs:${stack.region}:${stack.account}:task-set/c/s/*`, `${role.roleArn}/*`],
    });

    expect(wildcardFindingIds(role, statement)).toEqual([
      'AwsSolutions-IAM5[Action::ecs:Describe*]',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::arn:aws:ecs:us-east-1:123456789012:task-set/c/s/*]',
      `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(role.node.defaultChild as never)}.Arn>/*]`,
    ]);
  });

  it.each([
    ['a string', 'arn:aws:s3:::b/*', 'arn:aws:s3:::b/*'],
    ['a Ref', { Ref: 'AWS::AccountId' }, '<AWS::AccountId>'],
    ['a GetAtt', { 'Fn::GetAtt': ['Table', 'Arn'] }, '<Table.Arn>'],
    ['a Join', { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::x:role/*']] }, 'arn:<AWS::Partition>:iam::x:role/*'],
    ['a Sub', { 'Fn::Sub': 'arn:${AWS::Partition}:x' }, 'arn:<AWS::Partition>:x'],
  ])('flattens %s', (_name, node, expected) => {
    expect(flattenCfnReference(node)).toBe(expected);
  });
});

function readReport(outdir: string): { report: ValidationReport } {
  return { report: JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as ValidationReport };
}
