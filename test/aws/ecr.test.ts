import { DescribeImagesCommand, ECRClient, ImageNotFoundException, RepositoryNotFoundException } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EcrImages } from '../../functions/aws/ecr.js';
import { AwsRequestFailed } from '../../functions/core/errors.js';
import { LOCAL_CREDENTIALS } from '../helpers/dynalite.js';

const client = new ECRClient({ region: 'eu-west-1', credentials: LOCAL_CREDENTIALS });
const ecr = mockClient(client);
beforeEach(() => ecr.reset());
const DIGEST = 'sha256:0123456789abcdef';

describe('EcrImages', () => {
  it('describes the image by digest, with scan status and finding counts', async () => {
    // Prepare
    ecr.on(DescribeImagesCommand, { repositoryName: 'web', imageIds: [{ imageDigest: DIGEST }] }).resolves({
      imageDetails: [
        {
          imageDigest: DIGEST,
          imageTags: ['v1', 'latest'],
          imagePushedAt: new Date('2025-01-01T00:00:00Z'),
          imageScanStatus: { status: 'COMPLETE', description: 'done' },
          imageScanFindingsSummary: { findingSeverityCounts: { HIGH: 2, LOW: 5 } },
        },
      ],
    });
    // Act
    const image = await new EcrImages(client).describeImage('web', DIGEST);
    // Assess
    expect(image).toEqual({
      digest: DIGEST,
      tags: ['v1', 'latest'],
      pushedAt: '2025-01-01T00:00:00.000Z',
      scanStatus: 'COMPLETE',
      findingCounts: { HIGH: 2, LOW: 5 },
    });
    expect(ecr.commandCalls(DescribeImagesCommand)[0]!.args[0].input).toEqual({
      repositoryName: 'web',
      imageIds: [{ imageDigest: DIGEST }],
    });
  });

  it('leaves out scan fields the image does not have', async () => {
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: DIGEST }] });
    await expect(new EcrImages(client).describeImage('web', DIGEST)).resolves.toEqual({ digest: DIGEST, tags: [] });
  });

  it('returns undefined when the repository does not hold the digest', async () => {
    ecr.on(DescribeImagesCommand).rejects(new ImageNotFoundException({ message: 'nope', $metadata: {} }));
    await expect(new EcrImages(client).describeImage('web', DIGEST)).resolves.toBeUndefined();
  });

  it('a missing repository is a request failure, not a missing image', async () => {
    ecr.on(DescribeImagesCommand).rejects(new RepositoryNotFoundException({ message: 'no repo', $metadata: {} }));
    await expect(new EcrImages(client).describeImage('web', DIGEST)).rejects.toThrow(AwsRequestFailed);
  });
});
