/**
 * The EventBridge patterns Cutover listens with: one rule each, whose pattern lists the configured
 * repository names / alarm names / service names, so the resource count does not grow with the
 * services.
 *
 * EventBridge limits a pattern to 2,048 characters by default (an adjustable quota). A list that
 * would not fit is left out of the pattern: the rule then matches every push / every alarm in the
 * account and region, and the handler filters with the bundled configuration (it has to anyway:
 * the tag filter and the in-flight deployments are not in any pattern).
 */
import type { EventPattern } from 'aws-cdk-lib/aws-events';

/** EventBridge's default event-pattern quota, in characters. */
export const DEFAULT_EVENT_PATTERN_MAX_CHARS = 2048;

export interface ListenPattern {
  readonly pattern: EventPattern;
  /** False when the name list did not fit and the handler filters instead. */
  readonly filteredByName: boolean;
}

/** The pattern as CloudFormation gets it (`detail-type`, not `detailType`), for measuring. */
function cfnPatternJson(pattern: EventPattern): string {
  const { detailType, ...rest } = pattern;
  return JSON.stringify(detailType ? { ...rest, 'detail-type': detailType } : rest);
}

/**
 * `base` with `account: [account]` when an account is given: an event of another account (a rule on
 * a bus that receives other accounts' events)
 * matches no rule of Cutover's (issue #14, Low). A CDK token (`Aws.ACCOUNT_ID`) is fine here.
 */
function inAccount(base: EventPattern, account: string | undefined): EventPattern {
  return account === undefined ? base : { ...base, account: [account] };
}

function withNames(base: EventPattern, detail: Record<string, unknown>, maxChars: number): ListenPattern {
  const filtered: EventPattern = { ...base, detail: { ...(base.detail ?? {}), ...detail } };
  if (cfnPatternJson(filtered).length <= maxChars) return { pattern: filtered, filteredByName: true };
  return { pattern: base, filteredByName: false };
}

const uniqueSorted = (names: Iterable<string>): string[] => [...new Set(names)].sort();

/** `ECR Image Action` PUSH / SUCCESS for the given repositories. */
export function ecrPushPattern(
  repositories: Iterable<string>,
  maxChars: number = DEFAULT_EVENT_PATTERN_MAX_CHARS,
  account?: string,
): ListenPattern {
  const base: EventPattern = inAccount({
    source: ['aws.ecr'],
    detailType: ['ECR Image Action'],
    detail: { 'action-type': ['PUSH'], result: ['SUCCESS'] },
  }, account);
  const names = uniqueSorted(repositories);
  // EventBridge refuses an empty array in a pattern ("Event pattern is not valid. Reason: Empty arrays
  // are not allowed", aws/aws-cdk#36904): with no service, the rule is left unfiltered (and disabled
  // by the control plane, lib/control-plane.ts).
  if (names.length === 0) return { pattern: base, filteredByName: false };
  return withNames(base, { 'repository-name': names }, maxChars);
}

/** `CloudWatch Alarm State Change` into ALARM for the given alarm names. */
export function alarmStatePattern(
  alarmNames: Iterable<string>,
  maxChars: number = DEFAULT_EVENT_PATTERN_MAX_CHARS,
  account?: string,
): ListenPattern {
  const base: EventPattern = inAccount({
    source: ['aws.cloudwatch'],
    detailType: ['CloudWatch Alarm State Change'],
    detail: { state: { value: ['ALARM'] } },
  }, account);
  const names = uniqueSorted(alarmNames);
  if (names.length === 0) return { pattern: base, filteredByName: false };
  return withNames(base, { alarmName: names }, maxChars);
}

/** Cutover's own events (functions/core/model.ts `EVENT_SOURCE`, `LifecycleEvent`) that concern scaling. */
export const CUTOVER_EVENT_SOURCE = 'cutover';
export const DEPLOYMENT_LIFECYCLE_EVENTS = [
  'Deployment Started',
  'Deployment Succeeded',
  'Deployment Rolled Back',
  'Deployment Failed',
  'Deployment Superseded',
] as const;

/**
 * A deployment starting or ending on Cutover's bus, for the given services (config `name`s): the
 * scale handler suspends target tracking's scale-in during a deployment and replays a deferred
 * scale-in after it.
 */
export function deploymentEventsPattern(
  serviceNames: Iterable<string>,
  maxChars: number = DEFAULT_EVENT_PATTERN_MAX_CHARS,
  account?: string,
): ListenPattern {
  const base: EventPattern = inAccount({ source: [CUTOVER_EVENT_SOURCE], detailType: [...DEPLOYMENT_LIFECYCLE_EVENTS] }, account);
  const names = uniqueSorted(serviceNames);
  if (names.length === 0) return { pattern: base, filteredByName: false };
  return withNames(base, { service: names }, maxChars);
}
