/**
 * The one way Cutover makes a Lambda function: `functions/handlers/<name>.ts`, bundled locally by
 * esbuild (no Docker) into a minified ESM file for Node.js on arm64, with the validated configuration
 * copied next to it as `cutover.config.json`, its own role, an explicit log group with retention,
 * active tracing, and — when it is invoked asynchronously — an encrypted dead-letter queue.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { LogLevel as EsbuildLogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { CutoverConfig } from '../functions/core/config.js';
import { acknowledge } from './nag.js';
import { SynthError } from './synth-error.js';

/** Where the bundled configuration lands in the Lambda sandbox. */
export const CONFIG_FILE_NAME = 'cutover.config.json';
export const LAMBDA_CONFIG_PATH = `/var/task/${CONFIG_FILE_NAME}`;
/** The newest Node.js runtime in this aws-cdk-lib (cdk-nag AwsSolutions-L1 checks for it). */
export const LAMBDA_RUNTIME = Runtime.NODEJS_24_X;
/**
 * ESM bundles that contain CommonJS dependencies (parts of the SDK, Powertools) need `require`:
 * esbuild's ESM output calls a `require` shim that throws unless one is in scope.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __cutoverCreateRequire } from 'node:module'; const require = __cutoverCreateRequire(import.meta.url);";

/**
 * The validated, defaults-filled configuration as a file that bundling copies into every function.
 * Written once, on first use (only when bundling actually runs), into `directory` — the cloud
 * assembly folder (cdk.out), so it is there to inspect and nothing is left in the system temp dir.
 */
export class BundledConfig {
  readonly json: string;
  private written = false;
  /**
   * @param config the configuration to bundle
   * @param directory where to write it
   * @param fileName unique per control plane, e.g. `CutoverStackControlPlane1234ABCD.cutover.config.json`
   */
  constructor(
    config: CutoverConfig,
    private readonly directory: string,
    private readonly fileName: string,
  ) {
    this.json = `${JSON.stringify(config, null, 2)}\n`;
  }
  /** The path of a file holding {@link json}. */
  file(): string {
    const path = join(this.directory, this.fileName);
    if (!this.written || !existsSync(path)) {
      mkdirSync(this.directory, { recursive: true });
      writeFileSync(path, this.json);
      this.written = true;
    }
    return path;
  }
}

/** A shell command copying `from` to `to` (bash on POSIX, cmd on Windows: what CDK runs hooks with). */
export function copyCommand(from: string, to: string): string {
  if (process.platform === 'win32') return `copy /Y "${from}" "${to}"`;
  const quote = (p: string) => `'${p.replace(/'/g, `'\\''`)}'`;
  return `cp ${quote(from)} ${quote(to)}`;
}

export interface CutoverFunctionProps {
  /** The handler name: the file `<handlersDir>/<entry>`. */
  readonly handlerName: string;
  readonly handlersDir: string;
  /** File name inside `handlersDir`, e.g. `alarm-watcher.ts`. */
  readonly entry: string;
  readonly description: string;
  /** The repository root (holds package-lock.json); entries must be under it. */
  readonly projectRoot: string;
  readonly bundledConfig: BundledConfig;
  readonly environment: Readonly<Record<string, string>>;
  readonly logRetention: RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
  readonly memorySize: number;
  readonly timeout: Duration;
  /** Powertools log level. */
  readonly logLevel: string;
  /**
   * Invoked asynchronously (EventBridge): gets a dead-letter queue used as the function's on-failure
   * destination (and by the caller as the rule target's DLQ).
   */
  readonly asynchronous: boolean;
}

export class CutoverFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;
  /** Present when {@link CutoverFunctionProps.asynchronous}. */
  readonly deadLetterQueue: Queue | undefined;

  constructor(scope: Construct, id: string, props: CutoverFunctionProps) {
    super(scope, id);
    const entry = join(props.handlersDir, props.entry);
    if (!existsSync(entry)) {
      throw new SynthError(
        `Cutover handler "${props.handlerName}": ${entry} does not exist (lib/handlers.ts lists it; create the file or remove the entry)`,
      );
    }

    this.logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: props.logRemovalPolicy });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Cutover ${props.handlerName} handler`,
    });
    // Instead of the AWS managed AWSLambdaBasicExecutionRole (cdk-nag IAM4): write to its own log group only.
    this.logGroup.grantWrite(this.role);

    const bundledConfig = props.bundledConfig;
    this.function = new NodejsFunction(this, 'Function', {
      entry,
      handler: 'handler',
      description: props.description,
      projectRoot: props.projectRoot,
      depsLockFilePath: join(props.projectRoot, 'package-lock.json'),
      runtime: LAMBDA_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      tracing: Tracing.ACTIVE,
      environment: { ...props.environment, CUTOVER_CONFIG_PATH: LAMBDA_CONFIG_PATH, POWERTOOLS_LOG_LEVEL: props.logLevel },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        minify: true,
        sourceMap: false,
        logLevel: EsbuildLogLevel.WARNING,
        // Bundle the SDK clients: the bundle-size budget measures them, and a pinned client does not
        // change under us when Lambda updates the runtime's SDK.
        bundleAwsSDK: true,
        externalModules: [],
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir: string, outputDir: string) => [
            copyCommand(bundledConfig.file(), join(outputDir, CONFIG_FILE_NAME)),
          ],
        },
      },
    });

    if (props.asynchronous) {
      this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      this.function.configureAsyncInvoke({
        onFailure: new SqsDestination(this.deadLetterQueue),
        retryAttempts: 2,
        maxEventAge: Duration.hours(6),
      });
      acknowledge(
        this.deadLetterQueue,
        'AwsSolutions-SQS3',
        `this queue is itself the dead-letter queue of the ${props.handlerName} handler (its Lambda on-failure destination and its EventBridge target DLQ); a DLQ behind it would only hold the same failed events again`,
      );
    } else {
      this.deadLetterQueue = undefined;
    }

    acknowledge(
      this.role,
      'AwsSolutions-IAM5[Resource::*]',
      'xray:PutTraceSegments and xray:PutTelemetryRecords (added by Lambda active tracing) support no resource-level permissions',
    );
  }
}
