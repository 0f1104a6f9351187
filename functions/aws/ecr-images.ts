/**
 * ECR images for cleanup (ImageInventory): every image of a repository with its tags and push
 * time, and deletion by digest (BatchDeleteImage). A repository that does not exist holds no
 * images; an image already gone counts as deleted.
 */
import { BatchDeleteImageCommand, DescribeImagesCommand, type ECRClient } from '@aws-sdk/client-ecr';
import { ValidationError } from '../core/errors.js';
import type { ImageInventory, RepositoryImage } from '../core/ports.js';
import { awsCall, awsCallExpecting } from './aws-errors.js';

/** DescribeImages returns at most 1000 per page; BatchDeleteImage takes at most 100 ids. */
export const ECR_DESCRIBE_PAGE_SIZE = 1000;
export const MAX_BATCH_DELETE_IMAGES = 100;

export class EcrImageInventory implements ImageInventory {
  constructor(private readonly client: ECRClient) {}

  async list(repository: string, limit: number): Promise<RepositoryImage[]> {
    const images: RepositoryImage[] = [];
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const out = await awsCallExpecting(
        'ECR:DescribeImages',
        () =>
          this.client.send(
            new DescribeImagesCommand({
              repositoryName: repository,
              maxResults: ECR_DESCRIBE_PAGE_SIZE,
              ...(token === undefined ? {} : { nextToken: token }),
            }),
          ),
        ['RepositoryNotFoundException'],
        () => undefined,
      );
      if (out === undefined) return [];
      for (const d of out.imageDetails ?? []) {
        if (d.imageDigest === undefined) continue;
        images.push({
          digest: d.imageDigest,
          tags: [...(d.imageTags ?? [])],
          ...(d.imagePushedAt === undefined ? {} : { pushedAt: new Date(d.imagePushedAt).toISOString() }),
        });
      }
      nextToken = out.nextToken;
    } while (nextToken !== undefined && images.length < limit);
    return images.slice(0, limit);
  }

  async delete(repository: string, digests: readonly string[]): Promise<{ deleted: string[]; failures: Array<{ digest: string; reason: string }> }> {
    if (digests.length === 0) return { deleted: [], failures: [] };
    if (digests.length > MAX_BATCH_DELETE_IMAGES) {
      throw new ValidationError('BatchDeleteImage', [`imageIds: ${digests.length} given; at most ${MAX_BATCH_DELETE_IMAGES} per call`]);
    }
    const out = await awsCall('ECR:BatchDeleteImage', () =>
      this.client.send(new BatchDeleteImageCommand({ repositoryName: repository, imageIds: digests.map((imageDigest) => ({ imageDigest })) })),
    );
    const failures: Array<{ digest: string; reason: string }> = [];
    const gone = new Set<string>();
    for (const f of out.failures ?? []) {
      const digest = f.imageId?.imageDigest ?? '';
      if (f.failureCode === 'ImageNotFound') gone.add(digest);
      else failures.push({ digest, reason: `${f.failureCode ?? 'Unknown'}: ${f.failureReason ?? ''}` });
    }
    const deleted = new Set([...(out.imageIds ?? []).flatMap((i) => (i.imageDigest === undefined ? [] : [i.imageDigest])), ...gone]);
    return { deleted: digests.filter((d) => deleted.has(d)), failures };
  }
}
