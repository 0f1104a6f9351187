/**
 * The in-memory AWS world of the local rehearsal runtime. See world.ts.
 */
export type { AlarmStateValue } from './cloudwatch.js';
export type { EcrImageActionDetail, ScanSpec } from './ecr.js';
export { READ_ONLY_TASK_DEFINITION_FIELDS } from './ecs.js';
export { DEFAULT_CALLBACK_DELAY_S, DEPLOYMENT_STATE_CHANGE, type HookAnswer, type HookInvocationRecord, type HookInvoker, type HookPayload, NativeDeployments, type NativeSeed } from './ecs-native.js';
export { ServiceName, WorldNotImplemented } from './errors.js';
export type { WorldFaultSpec } from './faults.js';
export type { StepFunctionsBackendWithList } from './sfn.js';
export {
  type AwsEvent,
  type AwsEventSink,
  DEFAULT_IMAGE_PROFILE,
  DEFAULT_SETTINGS,
  type ImageProfile,
  type ResolvedImageProfile,
  type WorldSettings,
} from './types.js';
export {
  type AlarmMetric,
  type CallRecord,
  type CreateAlarmSpec,
  type CreateMetricAlarmSpec,
  type CreateServiceSpec,
  type CreateWorkerServiceSpec,
  isWriteOperation,
  type SeededService,
  type SeededWorkerService,
  type TargetHealthView,
  type TaskDefinitionOverrides,
  World,
  type WorldOptions,
} from './world.js';
export {
  FAILING_SHARE_LIMIT,
  QUEUE_AGE_METRIC,
  SQS_NAMESPACE,
  serviceDimensions,
  versionDimensions,
  VERSION_PLACEHOLDER,
  WORKER_METRICS,
  type WorkerMetricName,
  type WorkerSpec,
} from './workers.js';
export { ESSENTIAL_EXITED, FAILED_HEALTH_CHECKS, OOM_REASON } from './ecs.js';
