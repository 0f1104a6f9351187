/**
 * The `ECR Image Scan` event (basic scanning, sent when a scan completes) as the image gate reads it.
 * Its own module, apart from gates.ts: esbuild keeps a module-level zod schema in every bundle that
 * imports anything from its module, and the deploy handlers use the gate's verdicts, not this event.
 */
import * as z from 'zod/mini';
import { DIGEST } from './deploy-state.js';
import { type ScanResult, scanResultOf } from './gates.js';

/** The `detail` of an `ECR Image Scan` event (basic scanning, sent when a scan completes). */
export const EcrImageScanDetail = z.object({
  'scan-status': z.string().check(z.minLength(1)),
  'repository-name': z.string(),
  'image-digest': z.string().check(z.regex(DIGEST, 'must be sha256: and 64 lowercase hex characters')),
  'image-tags': z._default(z.array(z.string()), []),
  'finding-severity-counts': z._default(z.record(z.string(), z.number()), {}),
});
export type EcrImageScanDetail = z.output<typeof EcrImageScanDetail>;

/** The scan result an `ECR Image Scan` event reports (same verdict as the API would give). */
export function scanResultFromEvent(detail: EcrImageScanDetail): ScanResult {
  return scanResultOf(detail['scan-status'], detail['finding-severity-counts']);
}
