/** EcrImages.scanFindings: DescribeImageScanFindings as ECR answers it, reduced to status and severity counts. */
import { readFileSync } from 'node:fs';
import { DescribeImageScanFindingsCommand, ECRClient, ScanNotFoundException } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EcrImages } from '../../functions/aws/ecr.js';
import { AwsThrottled } from '../../functions/core/errors.js';
import { LOCAL_CREDENTIALS } from '../helpers/dynalite.js';

const client = new ECRClient({ region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
const ecr = mockClient(client);
beforeEach(() => ecr.reset());
const response = JSON.parse(readFileSync(new URL('../fixtures/ecr-describe-image-scan-findings.json', import.meta.url), 'utf8'));
const DIGEST = response.imageId.imageDigest as string;

describe('EcrImages.scanFindings', () => {
  it('a completed scan: its status, description and severity counts (one finding per page is enough)', async () => {
    ecr.on(DescribeImageScanFindingsCommand).resolves(response);
    expect(await new EcrImages(client).scanFindings('my-repository-name', DIGEST)).toEqual({
      status: 'COMPLETE',
      description: 'The scan was completed successfully.',
      findingCounts: { HIGH: 1, MEDIUM: 4, LOW: 9, INFORMATIONAL: 12 },
    });
    expect(ecr.commandCalls(DescribeImageScanFindingsCommand)[0]?.args[0].input).toEqual({
      repositoryName: 'my-repository-name',
      imageId: { imageDigest: DIGEST },
      maxResults: 1,
    });
  });

  it('a scan in progress: its status and no counts', async () => {
    ecr.on(DescribeImageScanFindingsCommand).resolves({ imageScanStatus: { status: 'IN_PROGRESS', description: 'The scan is in progress.' } });
    expect(await new EcrImages(client).scanFindings('my-repository-name', DIGEST)).toEqual({ status: 'IN_PROGRESS', description: 'The scan is in progress.' });
  });

  it('never scanned (ScanNotFoundException): no status', async () => {
    ecr.on(DescribeImageScanFindingsCommand).rejects(new ScanNotFoundException({ message: 'Image scan does not exist', $metadata: { httpStatusCode: 400 } }));
    expect(await new EcrImages(client).scanFindings('my-repository-name', DIGEST)).toEqual({});
  });

  it('enhanced scanning (Inspector): no severity counts, so every enhanced finding is read and counted, UNTRIAGED included, across pages', async () => {
    // Prepare: ACTIVE with findings listed but findingSeverityCounts absent (issue #13, item 3)
    const finding = (severity: string) => ({ severity, findingArn: `arn:aws:inspector2:us-east-1:1:finding/${severity}`, title: 'CVE' });
    ecr
      .on(DescribeImageScanFindingsCommand, { maxResults: 1 })
      .resolves({ imageScanStatus: { status: 'ACTIVE', description: 'Continuous scan is selected for image.' }, imageScanFindings: { enhancedFindings: [finding('HIGH')] } })
      .on(DescribeImageScanFindingsCommand, { maxResults: 1000 })
      .resolvesOnce({ imageScanFindings: { enhancedFindings: [finding('HIGH'), finding('UNTRIAGED')] }, nextToken: 'p2' })
      .resolvesOnce({ imageScanFindings: { enhancedFindings: [finding('CRITICAL'), finding('UNTRIAGED')] } });
    // Act
    const scan = await new EcrImages(client).scanFindings('my-repository-name', DIGEST);
    // Assess
    expect(scan).toEqual({ status: 'ACTIVE', description: 'Continuous scan is selected for image.', findingCounts: { HIGH: 1, UNTRIAGED: 2, CRITICAL: 1 } });
    expect(ecr.commandCalls(DescribeImageScanFindingsCommand).map((c) => c.args[0].input.nextToken)).toEqual([undefined, undefined, 'p2']);
  });

  it('COMPLETE or ACTIVE without counts and without findings listed: no counts (the gate waits, never "clean")', async () => {
    ecr.on(DescribeImageScanFindingsCommand).resolves({ imageScanStatus: { status: 'ACTIVE' }, imageScanFindings: {} });
    expect(await new EcrImages(client).scanFindings('my-repository-name', DIGEST)).toEqual({ status: 'ACTIVE' });
  });

  it('throttling is AwsThrottled (retried by the state machine)', async () => {
    ecr.on(DescribeImageScanFindingsCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));
    await expect(new EcrImages(client).scanFindings('my-repository-name', DIGEST)).rejects.toThrow(AwsThrottled);
  });
});
