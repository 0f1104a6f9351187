import {
  BatchDeleteImageCommand,
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  ImageNotFoundException,
  ListImagesCommand,
  RepositoryNotFoundException,
  ScanNotFoundException,
} from '@aws-sdk/client-ecr';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeExecutionCommand, ExecutionAlreadyExists, SendTaskSuccessCommand, StartExecutionCommand, TaskDoesNotExist } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import type { PutEvent, StepFunctionsBackend } from '../../local/contracts.js';
import { BAD, GOOD, NEXT, setup } from './world.fixtures.js';

/** shared/events/ecr-image-action-push.json (AWS documentation example). */
const AWS_PUSH_EVENT = {
  version: '0',
  id: '13cde686-328b-6117-af20-0e5566167482',
  'detail-type': 'ECR Image Action',
  source: 'aws.ecr',
  account: '123456789012',
  time: '2019-11-16T01:54:34Z',
  region: 'us-west-2',
  resources: [],
  detail: {
    result: 'SUCCESS',
    'repository-name': 'my-repository-name',
    'image-digest': 'sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd12345678',
    'action-type': 'PUSH',
    'image-tag': 'latest',
  },
};

describe('local world: ECR', () => {
  it('pushImage returns the ECR Image Action event exactly as AWS sends it', () => {
    const { world } = setup();
    const event = world.pushImage('shop', NEXT, ['v2']);
    expect(Object.keys(event)).toEqual(Object.keys(AWS_PUSH_EVENT));
    expect(Object.keys(event.detail)).toEqual(Object.keys(AWS_PUSH_EVENT.detail));
    expect(event).toMatchObject({
      version: '0',
      'detail-type': 'ECR Image Action',
      source: 'aws.ecr',
      account: '123456789012',
      region: 'us-east-1',
      resources: [],
      time: '2025-01-01T00:00:00Z',
      detail: { result: 'SUCCESS', 'repository-name': 'shop', 'image-digest': NEXT, 'action-type': 'PUSH', 'image-tag': 'v2' },
    });
    expect(event.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('DescribeImages finds pushed digests and throws ImageNotFoundException for others', async () => {
    const { ecr, world } = setup();
    world.pushImage('shop', NEXT, ['v2', 'latest']);
    const out = await ecr.send(new DescribeImagesCommand({ repositoryName: 'shop', imageIds: [{ imageDigest: NEXT }] }));
    expect(out.imageDetails?.[0]).toMatchObject({ imageDigest: NEXT, imageTags: ['v2', 'latest'], repositoryName: 'shop', registryId: '123456789012' });
    expect(out.imageDetails?.[0]?.imagePushedAt).toBeInstanceOf(Date);
    await expect(ecr.send(new DescribeImagesCommand({ repositoryName: 'shop', imageIds: [{ imageDigest: BAD }] }))).rejects.toThrow(ImageNotFoundException);
    await expect(ecr.send(new DescribeImagesCommand({ repositoryName: 'nope', imageIds: [{ imageDigest: BAD }] }))).rejects.toThrow(
      RepositoryNotFoundException,
    );
  });

  it('DescribeImageScanFindings reports the configured status and severity counts', async () => {
    const { ecr, world, clock } = setup();
    world.pushImage('shop', BAD, ['v3'], { scan: { findingSeverityCounts: { CRITICAL: 2, HIGH: 1 }, completeAtMs: clock.now() + 30_000 } });
    world.pushImage('shop', NEXT, ['v4'], { scan: null });
    const running = await ecr.send(new DescribeImageScanFindingsCommand({ repositoryName: 'shop', imageId: { imageDigest: BAD } }));
    expect(running.imageScanStatus?.status).toBe('IN_PROGRESS');
    await clock.advance(30_000);
    const done = await ecr.send(new DescribeImageScanFindingsCommand({ repositoryName: 'shop', imageId: { imageDigest: BAD } }));
    expect(done.imageScanStatus?.status).toBe('COMPLETE');
    expect(done.imageScanFindings?.findingSeverityCounts).toEqual({ CRITICAL: 2, HIGH: 1 });
    await expect(ecr.send(new DescribeImageScanFindingsCommand({ repositoryName: 'shop', imageId: { imageDigest: NEXT } }))).rejects.toThrow(
      ScanNotFoundException,
    );
  });

  it('BatchDeleteImage by tag removes the tag, by digest the image; ListImages shows what is left', async () => {
    const { ecr, world } = setup();
    world.pushImage('shop', NEXT, ['v2', 'latest']);
    const byTag = await ecr.send(new BatchDeleteImageCommand({ repositoryName: 'shop', imageIds: [{ imageTag: 'latest' }] }));
    const byDigest = await ecr.send(new BatchDeleteImageCommand({ repositoryName: 'shop', imageIds: [{ imageDigest: GOOD }, { imageDigest: BAD }] }));
    const left = await ecr.send(new ListImagesCommand({ repositoryName: 'shop' }));
    expect(byTag.imageIds).toEqual([{ imageDigest: NEXT, imageTag: 'latest' }]);
    expect(byDigest.imageIds).toEqual([{ imageDigest: GOOD, imageTag: 'v1' }]);
    expect(byDigest.failures).toEqual([{ imageId: { imageDigest: BAD }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' }]);
    expect(left.imageIds).toEqual([{ imageDigest: NEXT, imageTag: 'v2' }]);
  });
});

describe('local world: Step Functions and EventBridge', () => {
  function fakeBackend(): StepFunctionsBackend & { tokens: Array<[string, string]> } {
    const started = new Set<string>();
    const tokens: Array<[string, string]> = [];
    return {
      tokens,
      async startExecution(req) {
        if (started.has(req.name ?? '')) throw Object.assign(new Error(`Execution Already Exists: '${req.name}'`), { name: 'ExecutionAlreadyExists' });
        started.add(req.name ?? '');
        return { executionArn: `${req.stateMachineArn.replace(':stateMachine:', ':execution:')}:${req.name}`, startDate: new Date(0) };
      },
      async sendTaskSuccess(token, output) {
        if (token !== 'tok-1') throw Object.assign(new Error('Task does not exist'), { name: 'TaskDoesNotExist' });
        tokens.push([token, output]);
      },
      async sendTaskFailure() {},
      async describeExecution(arn) {
        return { executionArn: arn, stateMachineArn: 'arn:sm', name: 'x', status: 'RUNNING', input: '{}', startDate: new Date(0) };
      },
      async stopExecution() {},
    };
  }

  it('delegates to the backend and maps its named errors to the SDK exceptions', async () => {
    const { sfn, world } = setup();
    const backend = fakeBackend();
    world.setStepFunctionsBackend(backend);
    const sm = 'arn:aws:states:us-east-1:123456789012:stateMachine:deploy';
    const started = await sfn.send(new StartExecutionCommand({ stateMachineArn: sm, name: 'd-1', input: '{"a":1}' }));
    expect(started.executionArn).toBe('arn:aws:states:us-east-1:123456789012:execution:deploy:d-1');
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: sm, name: 'd-1', input: '{}' }))).rejects.toThrow(ExecutionAlreadyExists);
    await sfn.send(new SendTaskSuccessCommand({ taskToken: 'tok-1', output: '{"ok":true}' }));
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: 'tok-2', output: '{}' }))).rejects.toThrow(TaskDoesNotExist);
    expect(backend.tokens).toEqual([['tok-1', '{"ok":true}']]);
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }))).status).toBe('RUNNING');
  });

  it('PutEvents records the events, hands them to the sink and answers with event ids', async () => {
    const { eb, world } = setup();
    const seen: PutEvent[] = [];
    world.onPutEvent((e) => seen.push(e));
    const out = await eb.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'cutover', DetailType: 'Deployment Started', Detail: JSON.stringify({ service: 'shop' }), EventBusName: 'default' },
          { Source: 'cutover', DetailType: 'Broken', Detail: '{not json' },
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(1);
    expect(out.Entries?.[0]?.EventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.Entries?.[1]).toEqual({ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' });
    expect(world.putEvents).toEqual([{ source: 'cutover', detailType: 'Deployment Started', detail: { service: 'shop' }, eventBusName: 'default', time: world.clock.now() }]);
    expect(seen).toEqual(world.putEvents);
  });
});
