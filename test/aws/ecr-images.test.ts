import { BatchDeleteImageCommand, DescribeImagesCommand, ECRClient, RepositoryNotFoundException } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EcrImageInventory } from '../../functions/aws/ecr-images.js';
import { ValidationError } from '../../functions/core/errors.js';
import { LOCAL_CREDENTIALS } from '../helpers/dynalite.js';

const client = new ECRClient({ region: 'eu-west-1', credentials: LOCAL_CREDENTIALS });
const ecr = mockClient(client);
beforeEach(() => ecr.reset());

describe('EcrImageInventory', () => {
  it('lists every image with tags and push time, across pages', async () => {
    ecr
      .on(DescribeImagesCommand, { repositoryName: 'web', maxResults: 1000 })
      .resolves({ imageDetails: [{ imageDigest: 'sha256:a', imageTags: ['v1'], imagePushedAt: new Date('2025-01-01T00:00:00Z') }], nextToken: 'n' })
      .on(DescribeImagesCommand, { nextToken: 'n' })
      .resolves({ imageDetails: [{ imageDigest: 'sha256:b' }] });
    await expect(new EcrImageInventory(client).list('web', 100)).resolves.toEqual([
      { digest: 'sha256:a', tags: ['v1'], pushedAt: '2025-01-01T00:00:00.000Z' },
      { digest: 'sha256:b', tags: [] },
    ]);
  });

  it('a repository that does not exist holds no images', async () => {
    ecr.on(DescribeImagesCommand).rejects(new RepositoryNotFoundException({ message: 'no', $metadata: {} }));
    await expect(new EcrImageInventory(client).list('gone', 100)).resolves.toEqual([]);
  });

  it('deletes by digest; an image already gone counts as deleted, other failures come back', async () => {
    ecr.on(BatchDeleteImageCommand).resolves({
      imageIds: [{ imageDigest: 'sha256:a', imageTag: 'v1' }],
      failures: [
        { imageId: { imageDigest: 'sha256:b' }, failureCode: 'ImageNotFound', failureReason: 'gone' },
        { imageId: { imageDigest: 'sha256:c' }, failureCode: 'ImageReferencedByManifestList', failureReason: 'in a manifest list' },
      ],
    });
    const images = new EcrImageInventory(client);
    await expect(images.delete('web', ['sha256:a', 'sha256:b', 'sha256:c'])).resolves.toEqual({
      deleted: ['sha256:a', 'sha256:b'],
      failures: [{ digest: 'sha256:c', reason: 'ImageReferencedByManifestList: in a manifest list' }],
    });
    expect(ecr.commandCalls(BatchDeleteImageCommand)[0]?.args[0].input).toEqual({
      repositoryName: 'web',
      imageIds: [{ imageDigest: 'sha256:a' }, { imageDigest: 'sha256:b' }, { imageDigest: 'sha256:c' }],
    });
    await expect(images.delete('web', Array.from({ length: 101 }, (_, i) => `sha256:${i}`))).rejects.toThrow(ValidationError);
  });
});
