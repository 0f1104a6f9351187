/** ECR adapter: look up an image by digest (ImageRegistry). */
import { DescribeImagesCommand, type ECRClient, type ImageDetail } from '@aws-sdk/client-ecr';
import type { ImageInfo, ImageRegistry } from '../core/ports.js';
import { awsCallExpecting } from './aws-errors.js';

export function toImageInfo(d: ImageDetail, digest: string): ImageInfo {
  const counts = d.imageScanFindingsSummary?.findingSeverityCounts;
  return {
    digest: d.imageDigest ?? digest,
    tags: [...(d.imageTags ?? [])],
    ...(d.imagePushedAt === undefined ? {} : { pushedAt: new Date(d.imagePushedAt).toISOString() }),
    ...(d.imageScanStatus?.status === undefined ? {} : { scanStatus: d.imageScanStatus.status }),
    ...(counts === undefined ? {} : { findingCounts: { ...counts } }),
  };
}

export class EcrImages implements ImageRegistry {
  constructor(private readonly client: ECRClient) {}

  /**
   * The image with this digest, or undefined when the repository does not hold it
   * (`ImageNotFoundException`). A missing repository is a configuration error, not a missing
   * image: it surfaces as AwsRequestFailed (`RepositoryNotFoundException`).
   */
  async describeImage(repository: string, digest: string): Promise<ImageInfo | undefined> {
    const out = await awsCallExpecting(
      'ECR:DescribeImages',
      () => this.client.send(new DescribeImagesCommand({ repositoryName: repository, imageIds: [{ imageDigest: digest }] })),
      ['ImageNotFoundException'],
      () => undefined,
    );
    const detail = out?.imageDetails?.find((d) => d.imageDigest === digest) ?? out?.imageDetails?.[0];
    return detail === undefined ? undefined : toImageInfo(detail, digest);
  }
}
