/** ECR adapter: look up an image by digest and its vulnerability scan (ImageRegistry). */
import {
  DescribeImageScanFindingsCommand,
  type DescribeImageScanFindingsCommandOutput,
  DescribeImagesCommand,
  type ECRClient,
  type ImageDetail,
} from '@aws-sdk/client-ecr';
import type { ImageInfo, ImageRegistry, ImageScanInfo } from '../core/ports.js';
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

/** The scan part of a DescribeImageScanFindings response (status, description, severity counts). */
export function toImageScanInfo(out: Pick<DescribeImageScanFindingsCommandOutput, 'imageScanStatus' | 'imageScanFindings'>): ImageScanInfo {
  const counts: Record<string, number> = {};
  for (const [k, v] of Object.entries(out.imageScanFindings?.findingSeverityCounts ?? {})) if (typeof v === 'number') counts[k] = v;
  return {
    ...(out.imageScanStatus?.status === undefined ? {} : { status: out.imageScanStatus.status }),
    ...(out.imageScanStatus?.description ? { description: out.imageScanStatus.description } : {}),
    findingCounts: counts,
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

  /**
   * The image's scan (DescribeImageScanFindings, one finding per page: only the status and the
   * severity counts are read). A never-scanned image (`ScanNotFoundException`) has no status.
   */
  async scanFindings(repository: string, digest: string): Promise<ImageScanInfo> {
    const out = await awsCallExpecting(
      'ECR:DescribeImageScanFindings',
      () =>
        this.client.send(
          new DescribeImageScanFindingsCommand({ repositoryName: repository, imageId: { imageDigest: digest }, maxResults: 1 }),
        ),
      ['ScanNotFoundException'],
      () => undefined,
    );
    return out === undefined ? { findingCounts: {} } : toImageScanInfo(out);
  }
}
