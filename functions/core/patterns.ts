/**
 * Name and ARN patterns from the AWS API references, shared by the config schema (synth time) and
 * the event schemas (run time). No zod here: importing this module costs a handler only the regexes.
 */
/** The AWS partitions, as they appear in ARNs. */
export const PARTITION = '(aws|aws-cn|aws-us-gov)';
/** A region name (eu-west-1, us-gov-west-1), as a RegExp source. */
export const REGION = '[a-z]{2}(-[a-z]+)+-\\d';
export const ACCOUNT = '\\d{12}';
export const ARN_PATTERNS = {
  listener: new RegExp(
    `^arn:${PARTITION}:elasticloadbalancing:(${REGION}):(${ACCOUNT}):listener/app/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}/[0-9a-f]{16}$`,
  ),
  /** A Network Load Balancer's listener: the native engine only (functions/core/config.ts). */
  nlbListener: new RegExp(
    `^arn:${PARTITION}:elasticloadbalancing:(${REGION}):(${ACCOUNT}):listener/net/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}/[0-9a-f]{16}$`,
  ),
  listenerRule: new RegExp(
    `^arn:${PARTITION}:elasticloadbalancing:(${REGION}):(${ACCOUNT}):listener-rule/app/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}/[0-9a-f]{16}/[0-9a-f]{16}$`,
  ),
  targetGroup: new RegExp(
    `^arn:${PARTITION}:elasticloadbalancing:(${REGION}):(${ACCOUNT}):targetgroup/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}$`,
  ),
  lambda: new RegExp(`^arn:${PARTITION}:lambda:(${REGION}):(${ACCOUNT}):function:[A-Za-z0-9-_]{1,64}(:[A-Za-z0-9-_$]+)?$`),
} as const;
/** A configured environment's name: 1-16 characters of a-z, 0-9 and -, starting with a letter. */
export const ENVIRONMENT_NAME = /^[a-z][a-z0-9-]{0,15}$/;
/** ECR repository names (CreateRepository): lowercase, digits, `._-/` separators. */
export const REPOSITORY_NAME = /^(?=.{2,256}$)(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
/** A Docker tag: at most 128 characters of `[A-Za-z0-9_.-]`, not starting with `.` or `-`. */
export const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/** A tag filter: a tag in which `*` matches any run of characters and `?` one character. */
export const TAG_FILTER = /^[A-Za-z0-9_.*?-]{1,128}$/;
