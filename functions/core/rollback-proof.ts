/**
 * The record half of the boundary check on a pinned revision (functions/core/boundary.ts has the
 * revision half): is it a version of this service that went live (model.ts wasPromoted)? Its own
 * module so the other boundary checks bundle none of it. Nothing here may import control.ts: it
 * holds the operator input schemas, which esbuild keeps in every bundle importing from it.
 */
import type { ServiceConfig } from './config.js';
import { type DeploymentRecord, type StablePointer, wasPromoted } from './model.js';

/** A version this service ran, as the records prove it: the record (or stable pointer) and its tag. */
export interface RollbackProof {
  readonly deploymentId: string;
  readonly tag?: string;
}

/**
 * The proof that `taskDefinitionArn` with `digest` is a version of this service that went live: a
 * promoted deployment record with that revision and image, or the stable pointer (or its previous)
 * naming both. Undefined when there is none.
 */
export function rollbackProof(
  svc: Pick<ServiceConfig, 'repository'>,
  records: readonly DeploymentRecord[],
  stable: StablePointer | undefined,
  taskDefinitionArn: string,
  digest: string,
): RollbackProof | undefined {
  const rec = records.find(
    (r) =>
      r.green?.taskDefinitionArn === taskDefinitionArn && r.image.digest === digest && r.image.repository === svc.repository && wasPromoted(r),
  );
  if (rec) return { deploymentId: rec.deploymentId, ...(rec.image.tag ? { tag: rec.image.tag } : {}) };
  for (const pointer of [stable, stable?.previous]) {
    if (pointer && pointer.taskDefinitionArn === taskDefinitionArn && pointer.digest === digest) return { deploymentId: pointer.deploymentId };
  }
  return undefined;
}
