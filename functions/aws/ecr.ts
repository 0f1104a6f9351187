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

/**
 * The scan part of a DescribeImageScanFindings response (status, description, severity counts).
 * `findingSeverityCounts` when ECR gives it; else `counted` (the severities of every finding,
 * enhanced ones included) when the caller counted them; else no counts (not available yet).
 */
export function toImageScanInfo(
  out: Pick<DescribeImageScanFindingsCommandOutput, 'imageScanStatus' | 'imageScanFindings'>,
  counted?: Readonly<Record<string, number>>,
): ImageScanInfo {
  const reported = out.imageScanFindings?.findingSeverityCounts;
  let counts: Record<string, number> | undefined;
  if (reported !== undefined) {
    counts = {};
    for (const [k, v] of Object.entries(reported)) if (typeof v === 'number') counts[k] = v;
  } else if (counted !== undefined) counts = { ...counted };
  return {
    ...(out.imageScanStatus?.status === undefined ? {} : { status: out.imageScanStatus.status }),
    ...(out.imageScanStatus?.description ? { description: out.imageScanStatus.description } : {}),
    ...(counts === undefined ? {} : { findingCounts: counts }),
  };
}

/** DescribeImageScanFindings returns at most 1000 findings per page. */
const FINDINGS_PER_PAGE = 1000;

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
   * The image's scan (DescribeImageScanFindings, one finding per page when ECR reports the
   * severity counts). A never-scanned image (`ScanNotFoundException`) has no status. Enhanced
   * scanning (Amazon Inspector) lists its findings in `enhancedFindings` and may leave the counts
   * out: then every finding is read (1000 per page) and counted by severity (UNTRIAGED included).
   * Reading enhanced findings needs the Inspector permissions the ECR user guide lists ("IAM
   * permissions required for enhanced scanning in Amazon ECR").
   */
  async scanFindings(repository: string, digest: string): Promise<ImageScanInfo> {
    const page = (maxResults: number, nextToken?: string) =>
      awsCallExpecting(
        'ECR:DescribeImageScanFindings',
        () =>
          this.client.send(
            new DescribeImageScanFindingsCommand({
              repositoryName: repository,
              imageId: { imageDigest: digest },
              maxResults,
              ...(nextToken === undefined ? {} : { nextToken }),
            }),
          ),
        ['ScanNotFoundException'],
        () => undefined,
      );
    const out = await page(1);
    if (out === undefined) return {};
    const listed = (out.imageScanFindings?.enhancedFindings?.length ?? 0) + (out.imageScanFindings?.findings?.length ?? 0);
    if (out.imageScanFindings?.findingSeverityCounts !== undefined || listed === 0) return toImageScanInfo(out);
    const counted: Record<string, number> = {};
    let token: string | undefined;
    do {
      const p = await page(FINDINGS_PER_PAGE, token);
      for (const f of [...(p?.imageScanFindings?.enhancedFindings ?? []), ...(p?.imageScanFindings?.findings ?? [])]) {
        const severity = f.severity ?? 'UNDEFINED';
        counted[severity] = (counted[severity] ?? 0) + 1;
      }
      token = p?.nextToken;
    } while (token !== undefined);
    return toImageScanInfo(out, counted);
  }
}
