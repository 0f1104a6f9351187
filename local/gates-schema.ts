/**
 * Scenario fields for release gates and the release pipeline (local/scenario.ts uses them):
 * an image's vulnerability scan, scripted hook Lambdas, and the expected release outcomes.
 *
 * ```json
 * "world": { "images": [{ "…": "…", "scan": { "findings": { "HIGH": 2 }, "completeAfterSeconds": 90 } }],
 *            "hooks": [{ "arn": "arn:aws:lambda:us-east-1:123456789012:function:smoke", "answers": ["ask-again", "pass"] }] },
 * "timeline": [{ "kind": "push", "…": "…", "scan": null }],
 * "expect": { "releases": [{ "status": "ABORTED", "reasonCode": "ApprovalExpired",
 *                            "environments": { "staging": "SUCCEEDED", "production": "APPROVAL_EXPIRED" } }] }
 * ```
 */
import * as z from 'zod/mini';

/** An image's scan: COMPLETE with no findings unless said; `null` (where allowed): never scanned. */
export const ScenarioScanSchema = z.strictObject({
  status: z._default(z.enum(['COMPLETE', 'FAILED', 'UNSUPPORTED_IMAGE', 'ACTIVE', 'FINDINGS_UNAVAILABLE']), 'COMPLETE'),
  /** Findings per severity (CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL). */
  findings: z._default(z.partialRecord(z.enum(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED']), z.int().check(z.minimum(0))), {}),
  /** The scan reads IN_PROGRESS for this long after the push. */
  completeAfterSeconds: z.optional(z.int().check(z.minimum(1), z.maximum(24 * 3600))),
});

const answer = z.enum(['pass', 'fail', 'ask-again', 'error']);

/** A hook Lambda of the scenario: its answers in order (the last one repeats). */
export const HookScriptSchema = z.strictObject({
  arn: z.string().check(z.regex(/^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9-_]{1,64}$/, 'must be a Lambda function ARN')),
  answers: z
    .array(
      z.union([
        answer,
        z.strictObject({
          answer,
          reason: z.optional(z.string()),
          /** For ask-again: the callBackDelay it answers. */
          delaySeconds: z.optional(z.int().check(z.minimum(0))),
        }),
      ]),
    )
    .check(z.minLength(1)),
});

/** The releases a scenario is built to show, in start order. */
export const ExpectedReleases = z.array(
  z.strictObject({
    status: z.enum(['SUCCEEDED', 'FAILED', 'ABORTED', 'SUPERSEDED']),
    reasonCode: z.optional(z.string()),
    /** Environment -> its status in the release record (SUCCEEDED, ROLLED_BACK, APPROVAL_EXPIRED, NOT_REACHED ...). */
    environments: z.optional(z.record(z.string(), z.string())),
  }),
);
