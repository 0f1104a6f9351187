/**
 * ECR in memory: repositories, images by digest with their tags, basic-scan findings.
 * Seeding: `pushImage` (returns the `ECR Image Action` event exactly as AWS sends it) and
 * `setScanFindings`. API: DescribeImages, DescribeImageScanFindings, ListImages, BatchDeleteImage,
 * DescribeRepositories, CreateRepository.
 */
import type {
  BatchDeleteImageCommandInput,
  BatchDeleteImageCommandOutput,
  CreateRepositoryCommandInput,
  CreateRepositoryCommandOutput,
  DescribeImageScanFindingsCommandInput,
  DescribeImageScanFindingsCommandOutput,
  DescribeImagesCommandInput,
  DescribeImagesCommandOutput,
  DescribeRepositoriesCommandInput,
  DescribeRepositoriesCommandOutput,
  FindingSeverity,
  ImageDetail,
  ImageFailure,
  ImageIdentifier,
  ImageScanFinding,
  ListImagesCommandInput,
  ListImagesCommandOutput,
  Repository,
  ScanStatus,
} from '@aws-sdk/client-ecr';
import { fault } from './errors.js';
import { isoSeconds } from './time.js';
import type { AwsEvent, WorldContext } from './types.js';

type Out<T> = Omit<T, '$metadata'>;
export type Operation = (input: never) => unknown;

export const DIGEST = /^sha256:[0-9a-f]{64}$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const REPO = /^(?=.{2,256}$)(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

export interface ScanSpec {
  /**
   * BASIC (ECR's own scan: `findings`, status COMPLETE) or ENHANCED (Amazon Inspector: findings in
   * `enhancedFindings`, severities include UNTRIAGED, status ACTIVE while continuous scanning
   * watches the image; "Scan images for software vulnerabilities in Amazon ECR", ECR user guide).
   * Default BASIC.
   */
  readonly type?: 'BASIC' | 'ENHANCED';
  /** Default COMPLETE (BASIC) or ACTIVE (ENHANCED). */
  readonly status?: ScanStatus;
  /** Findings per severity; ENHANCED may also count UNTRIAGED. */
  readonly findingSeverityCounts?: Partial<Record<FindingSeverity | 'UNTRIAGED', number>>;
  /** The scan reads IN_PROGRESS until this virtual time, then `status`. */
  readonly completeAtMs?: number;
  /**
   * `findingSeverityCounts` is left out of the responses until this virtual time, though the status
   * already reads COMPLETE/ACTIVE (counts arrive after the status, as with Inspector).
   */
  readonly countsAtMs?: number;
}

interface ImageRec {
  readonly digest: string;
  tags: string[];
  readonly pushedAt: number;
  readonly sizeBytes: number;
  /** undefined: the image was never scanned (DescribeImageScanFindings -> ScanNotFoundException). */
  scan: ScanSpec | undefined;
}
interface RepoRec {
  readonly name: string;
  readonly arn: string;
  readonly uri: string;
  readonly createdAt: number;
  readonly images: Map<string, ImageRec>;
}

/** The payload of an `ECR Image Action` event. */
export interface EcrImageActionDetail {
  readonly result: 'SUCCESS';
  readonly 'repository-name': string;
  readonly 'image-digest': string;
  readonly 'action-type': 'PUSH';
  readonly 'image-tag'?: string;
}

export class EcrWorld {
  private readonly repos = new Map<string, RepoRec>();
  constructor(private readonly ctx: WorldContext) {}

  get registry(): string {
    return `${this.ctx.accountId}.dkr.ecr.${this.ctx.region}.amazonaws.com`;
  }
  /** `ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO@sha256:...` */
  imageUri(repository: string, digest: string): string {
    return `${this.registry}/${repository}@${digest}`;
  }

  // ------------------------------------------------------------------ seeding
  createRepository(name: string): RepoRec {
    const existing = this.repos.get(name);
    if (existing) return existing;
    if (!REPO.test(name)) throw new Error(`ECR repository name '${name}' is invalid`);
    const rec: RepoRec = {
      name,
      arn: `arn:aws:ecr:${this.ctx.region}:${this.ctx.accountId}:repository/${name}`,
      uri: `${this.registry}/${name}`,
      createdAt: this.ctx.clock.now(),
      images: new Map(),
    };
    this.repos.set(name, rec);
    return rec;
  }

  /**
   * Push an image (creating the repository if needed). A tag held by another image moves to this
   * one. Returns the `ECR Image Action` event for the first tag (no `image-tag` when untagged).
   */
  pushImage(
    repository: string,
    digest: string,
    tags: readonly string[] = [],
    opts: { scan?: ScanSpec | null; sizeBytes?: number } = {},
  ): AwsEvent<EcrImageActionDetail> {
    if (!DIGEST.test(digest)) throw new Error(`image digest '${digest}' must be sha256: and 64 hex characters`);
    for (const t of tags) if (!TAG.test(t)) throw new Error(`image tag '${t}' is invalid`);
    const repo = this.createRepository(repository);
    for (const img of repo.images.values()) {
      if (img.digest !== digest) img.tags = img.tags.filter((t) => !tags.includes(t));
    }
    const existing = repo.images.get(digest);
    if (existing) {
      existing.tags = [...new Set([...existing.tags, ...tags])];
      if (opts.scan !== undefined) existing.scan = opts.scan ?? undefined;
    } else {
      repo.images.set(digest, {
        digest,
        tags: [...new Set(tags)],
        pushedAt: this.ctx.clock.now(),
        sizeBytes: opts.sizeBytes ?? 30_000_000 + this.ctx.ids.int(50_000_000),
        scan: opts.scan === null ? undefined : (opts.scan ?? { status: 'COMPLETE', findingSeverityCounts: {} }),
      });
    }
    const detail: EcrImageActionDetail = {
      result: 'SUCCESS',
      'repository-name': repository,
      'image-digest': digest,
      'action-type': 'PUSH',
      ...(tags[0] !== undefined ? { 'image-tag': tags[0] } : {}),
    };
    return {
      version: '0',
      id: this.ctx.ids.uuid(),
      'detail-type': 'ECR Image Action',
      source: 'aws.ecr',
      account: this.ctx.accountId,
      time: isoSeconds(this.ctx.clock.now()),
      region: this.ctx.region,
      resources: [],
      detail,
    };
  }

  /** Set the scan result of an image (`null`: never scanned). */
  setScanFindings(repository: string, digest: string, scan: ScanSpec | null): void {
    const img = this.repos.get(repository)?.images.get(digest);
    if (!img) throw new Error(`no image ${digest} in ECR repository ${repository}`);
    img.scan = scan ?? undefined;
  }

  /** The digest an image reference points at: by digest directly, by `repo:tag` through ECR. */
  digestOfImage(image: string | undefined): string | undefined {
    if (!image) return undefined;
    const at = image.indexOf('@');
    if (at >= 0) return image.slice(at + 1);
    const path = image.startsWith(`${this.registry}/`) ? image.slice(this.registry.length + 1) : image;
    const colon = path.lastIndexOf(':');
    const name = colon > 0 ? path.slice(0, colon) : path;
    const tag = colon > 0 ? path.slice(colon + 1) : 'latest';
    for (const img of this.repos.get(name)?.images.values() ?? []) if (img.tags.includes(tag)) return img.digest;
    return undefined;
  }

  /** Whether an image reference of this registry resolves to an image that exists. */
  resolves(image: string): boolean {
    const path = image.startsWith(`${this.registry}/`) ? image.slice(this.registry.length + 1) : undefined;
    if (path === undefined) return false;
    const at = path.indexOf('@');
    if (at >= 0) return this.hasImage(path.slice(0, at), path.slice(at + 1));
    return this.digestOfImage(image) !== undefined;
  }

  hasImage(repository: string, digest: string): boolean {
    return this.repos.get(repository)?.images.has(digest) ?? false;
  }

  // ------------------------------------------------------------------ API
  operations(): Record<string, Operation> {
    return {
      DescribeImages: (i: DescribeImagesCommandInput) => this.describeImages(i),
      DescribeImageScanFindings: (i: DescribeImageScanFindingsCommandInput) => this.describeImageScanFindings(i),
      ListImages: (i: ListImagesCommandInput) => this.listImages(i),
      BatchDeleteImage: (i: BatchDeleteImageCommandInput) => this.batchDeleteImage(i),
      DescribeRepositories: (i: DescribeRepositoriesCommandInput) => this.describeRepositories(i),
      CreateRepository: (i: CreateRepositoryCommandInput) => this.createRepositoryApi(i),
    };
  }

  private repo(name: string | undefined): RepoRec {
    const r = name === undefined ? undefined : this.repos.get(name);
    if (!r) {
      throw fault(
        'RepositoryNotFoundException',
        `The repository with name '${name}' does not exist in the registry with id '${this.ctx.accountId}'`,
      );
    }
    return r;
  }

  private idText(id: ImageIdentifier): string {
    return `{imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'}`;
  }

  private find(repo: RepoRec, id: ImageIdentifier): ImageRec | undefined {
    if (id.imageDigest !== undefined) {
      const img = repo.images.get(id.imageDigest);
      if (!img) return undefined;
      return id.imageTag === undefined || img.tags.includes(id.imageTag) ? img : undefined;
    }
    if (id.imageTag !== undefined) return [...repo.images.values()].find((i) => i.tags.includes(id.imageTag as string));
    return undefined;
  }

  private scanState(scan: ScanSpec): { status: ScanStatus; description: string } {
    const now = this.ctx.clock.now();
    if (scan.completeAtMs !== undefined && now < scan.completeAtMs) {
      return { status: 'IN_PROGRESS', description: 'The scan is in progress.' };
    }
    const status = scan.status ?? (scan.type === 'ENHANCED' ? 'ACTIVE' : 'COMPLETE');
    const description =
      status === 'COMPLETE'
        ? 'The scan was completed successfully.'
        : status === 'FAILED'
          ? 'The scan failed.'
          : `The scan status is ${status}.`;
    return { status, description };
  }

  private completedAt(img: ImageRec, scan: ScanSpec): Date {
    return new Date(scan.completeAtMs ?? img.pushedAt + 10_000);
  }

  private detail(repo: RepoRec, img: ImageRec): ImageDetail {
    const scan = img.scan ? this.scanState(img.scan) : undefined;
    return {
      registryId: this.ctx.accountId,
      repositoryName: repo.name,
      imageDigest: img.digest,
      ...(img.tags.length > 0 ? { imageTags: [...img.tags] } : {}),
      imageSizeInBytes: img.sizeBytes,
      imagePushedAt: new Date(img.pushedAt),
      ...(scan ? { imageScanStatus: scan } : {}),
      ...(img.scan && scan && this.findingsReady(img.scan, scan.status) && this.countsReady(img.scan)
        ? {
            imageScanFindingsSummary: {
              imageScanCompletedAt: this.completedAt(img, img.scan),
              vulnerabilitySourceUpdatedAt: new Date(img.pushedAt - 86_400_000),
              findingSeverityCounts: { ...(img.scan.findingSeverityCounts ?? {}) },
            },
          }
        : {}),
      imageManifestMediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      artifactMediaType: 'application/vnd.docker.container.image.v1+json',
      imageStatus: 'ACTIVE',
    };
  }

  private page<T>(items: T[], maxResults: number | undefined, nextToken: string | undefined, limit: number): { items: T[]; nextToken?: string } {
    const size = Math.min(maxResults ?? 100, limit);
    const start = nextToken ? Number(Buffer.from(nextToken, 'base64').toString('utf8')) : 0;
    if (!Number.isInteger(start) || start < 0) throw fault('InvalidParameterException', 'Invalid parameter at \'nextToken\'');
    const slice = items.slice(start, start + size);
    const end = start + slice.length;
    return end < items.length ? { items: slice, nextToken: Buffer.from(String(end)).toString('base64') } : { items: slice };
  }

  describeImages(i: DescribeImagesCommandInput): Out<DescribeImagesCommandOutput> {
    const repo = this.repo(i.repositoryName);
    if (i.imageIds && i.imageIds.length > 0) {
      const out: ImageDetail[] = [];
      for (const id of i.imageIds) {
        const img = this.find(repo, id);
        if (!img) {
          throw fault(
            'ImageNotFoundException',
            `The image with imageId ${this.idText(id)} does not exist within the repository with name '${repo.name}' in the registry with id '${this.ctx.accountId}'`,
          );
        }
        if (!out.some((d) => d.imageDigest === img.digest)) out.push(this.detail(repo, img));
      }
      return { imageDetails: out };
    }
    const status = i.filter?.tagStatus ?? 'ANY';
    const all = [...repo.images.values()].filter((img) =>
      status === 'TAGGED' ? img.tags.length > 0 : status === 'UNTAGGED' ? img.tags.length === 0 : true,
    );
    const p = this.page(all, i.maxResults, i.nextToken, 1000);
    return { imageDetails: p.items.map((img) => this.detail(repo, img)), ...(p.nextToken ? { nextToken: p.nextToken } : {}) };
  }

  describeImageScanFindings(i: DescribeImageScanFindingsCommandInput): Out<DescribeImageScanFindingsCommandOutput> {
    const repo = this.repo(i.repositoryName);
    const id = i.imageId ?? {};
    const img = this.find(repo, id);
    if (!img) {
      throw fault(
        'ImageNotFoundException',
        `The image with imageId ${this.idText(id)} does not exist within the repository with name '${repo.name}' in the registry with id '${this.ctx.accountId}'`,
      );
    }
    if (!img.scan) {
      throw fault(
        'ScanNotFoundException',
        `Image scan does not exist for the image with '${this.idText(id)}' in the repository with name '${repo.name}' in the registry with id '${this.ctx.accountId}'`,
      );
    }
    const scan = this.scanState(img.scan);
    const base = {
      registryId: this.ctx.accountId,
      repositoryName: repo.name,
      imageId: { imageDigest: img.digest, ...(id.imageTag ? { imageTag: id.imageTag } : {}) },
      imageScanStatus: scan,
    };
    if (!this.findingsReady(img.scan, scan.status)) return base;
    const max = i.maxResults ?? 100;
    if (!Number.isInteger(max) || max < 1 || max > 1000) {
      throw fault('InvalidParameterException', "Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value less than or equal to 1000'");
    }
    const counts = { ...(img.scan.findingSeverityCounts ?? {}) };
    const completedAt = this.completedAt(img, img.scan);
    const enhanced = img.scan.type === 'ENHANCED';
    // One finding per counted vulnerability (all of them, so paging through them counts them all).
    const all: Array<{ severity: string; cve: string; k: number }> = [];
    for (const [severity, n] of Object.entries(counts) as Array<[string, number]>) {
      for (let k = 0; k < n; k++) all.push({ severity, cve: `CVE-2024-${String(1000 + all.length).padStart(4, '0')}`, k });
    }
    const p = this.page(all, max, i.nextToken, 1000);
    return {
      ...base,
      imageScanFindings: {
        imageScanCompletedAt: completedAt,
        vulnerabilitySourceUpdatedAt: new Date(img.pushedAt - 86_400_000),
        ...(this.countsReady(img.scan) ? { findingSeverityCounts: counts as Partial<Record<FindingSeverity, number>> } : {}),
        ...(enhanced
          ? {
              enhancedFindings: p.items.map((f) => ({
                awsAccountId: this.ctx.accountId,
                findingArn: `arn:aws:inspector2:${this.ctx.region}:${this.ctx.accountId}:finding/${f.cve.toLowerCase()}`,
                severity: f.severity,
                title: `${f.cve} - package`,
                description: `${f.severity} finding ${f.k + 1}`,
                status: 'ACTIVE',
                type: 'PACKAGE_VULNERABILITY',
              })),
            }
          : {
              findings: p.items.map(
                (f): ImageScanFinding => ({
                  name: f.cve,
                  severity: f.severity as FindingSeverity,
                  uri: `https://cve.mitre.org/cgi-bin/cvename.cgi?name=${f.cve}`,
                  description: `${f.severity} finding ${f.k + 1}`,
                }),
              ),
            }),
      },
      ...(p.nextToken ? { nextToken: p.nextToken } : {}),
    };
  }

  /** Findings exist once a basic scan is COMPLETE or an enhanced one ACTIVE/COMPLETE. */
  private findingsReady(scan: ScanSpec, status: ScanStatus): boolean {
    return status === 'COMPLETE' || (scan.type === 'ENHANCED' && status === 'ACTIVE');
  }
  private countsReady(scan: ScanSpec): boolean {
    return scan.countsAtMs === undefined || this.ctx.clock.now() >= scan.countsAtMs;
  }

  listImages(i: ListImagesCommandInput): Out<ListImagesCommandOutput> {
    const repo = this.repo(i.repositoryName);
    const status = i.filter?.tagStatus ?? 'ANY';
    const ids: ImageIdentifier[] = [];
    for (const img of repo.images.values()) {
      if (img.tags.length === 0) {
        if (status !== 'TAGGED') ids.push({ imageDigest: img.digest });
      } else if (status !== 'UNTAGGED') {
        for (const t of img.tags) ids.push({ imageDigest: img.digest, imageTag: t });
      }
    }
    const p = this.page(ids, i.maxResults, i.nextToken, 1000);
    return { imageIds: p.items, ...(p.nextToken ? { nextToken: p.nextToken } : {}) };
  }

  batchDeleteImage(i: BatchDeleteImageCommandInput): Out<BatchDeleteImageCommandOutput> {
    const repo = this.repo(i.repositoryName);
    if (!i.imageIds || i.imageIds.length === 0 || i.imageIds.length > 100) {
      throw fault('InvalidParameterException', 'Invalid parameter at \'imageIds\' failed to satisfy constraint: \'Member must have length between 1 and 100\'');
    }
    const deleted: ImageIdentifier[] = [];
    const failures: ImageFailure[] = [];
    for (const id of i.imageIds) {
      const img = this.find(repo, id);
      if (!img) {
        failures.push({ imageId: id, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' });
        continue;
      }
      if (id.imageDigest === undefined && id.imageTag !== undefined) {
        img.tags = img.tags.filter((t) => t !== id.imageTag);
        deleted.push({ imageDigest: img.digest, imageTag: id.imageTag });
        if (img.tags.length === 0) repo.images.delete(img.digest);
      } else {
        for (const t of img.tags) deleted.push({ imageDigest: img.digest, imageTag: t });
        if (img.tags.length === 0) deleted.push({ imageDigest: img.digest });
        repo.images.delete(img.digest);
      }
    }
    return { imageIds: deleted, failures };
  }

  private repository(r: RepoRec): Repository {
    return {
      repositoryArn: r.arn,
      registryId: this.ctx.accountId,
      repositoryName: r.name,
      repositoryUri: r.uri,
      createdAt: new Date(r.createdAt),
      imageTagMutability: 'MUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: { encryptionType: 'AES256' },
    };
  }

  describeRepositories(i: DescribeRepositoriesCommandInput): Out<DescribeRepositoriesCommandOutput> {
    const names = i.repositoryNames;
    const list = names && names.length > 0 ? names.map((n) => this.repo(n)) : [...this.repos.values()];
    return { repositories: list.map((r) => this.repository(r)) };
  }

  createRepositoryApi(i: CreateRepositoryCommandInput): Out<CreateRepositoryCommandOutput> {
    const name = i.repositoryName ?? '';
    if (this.repos.has(name)) {
      throw fault(
        'RepositoryAlreadyExistsException',
        `The repository with name '${name}' already exists in the registry with id '${this.ctx.accountId}'`,
      );
    }
    if (!REPO.test(name)) throw fault('InvalidParameterException', `Invalid parameter at 'repositoryName' failed to satisfy constraint`);
    return { repository: this.repository(this.createRepository(name)) };
  }
}
