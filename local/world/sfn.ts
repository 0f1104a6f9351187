/**
 * Step Functions calls are handed to the {@link StepFunctionsBackend} the runner registers; the world
 * only validates the request like the API does and maps the backend's named errors
 * (ExecutionAlreadyExists, TaskDoesNotExist, InvalidToken, ...) to the SDK's exception classes.
 */
import type {
  DescribeExecutionCommandInput,
  DescribeExecutionCommandOutput,
  ListExecutionsCommandInput,
  ListExecutionsCommandOutput,
  SendTaskFailureCommandInput,
  SendTaskHeartbeatCommandInput,
  SendTaskSuccessCommandInput,
  StartExecutionCommandInput,
  StartExecutionCommandOutput,
  StopExecutionCommandInput,
  StopExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
import type { StepFunctionsBackend } from '../contracts.js';
import { AwsFault, fault, isModeledError, ServiceName, WorldNotImplemented } from './errors.js';
import type { WorldContext } from './types.js';

type Out<T> = Omit<T, '$metadata'>;
export type Operation = (input: never) => unknown;

/** A backend may also list executions (optional: ListExecutions is loud without it). */
export interface StepFunctionsBackendWithList extends StepFunctionsBackend {
  listExecutions?(req: { stateMachineArn: string; statusFilter?: string; maxResults?: number; nextToken?: string }): Promise<{
    executions: Array<{ executionArn: string; stateMachineArn: string; name: string; status: string; startDate: Date; stopDate?: Date }>;
    nextToken?: string;
  }>;
}

const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

export class SfnWorld {
  private backend: StepFunctionsBackendWithList | undefined;
  constructor(private readonly ctx: WorldContext) {}

  setBackend(backend: StepFunctionsBackendWithList): void {
    this.backend = backend;
  }

  private get b(): StepFunctionsBackendWithList {
    if (!this.backend) throw new Error('No StepFunctionsBackend registered: call world.setStepFunctionsBackend(backend) first');
    return this.backend;
  }

  /** Run a backend call; its `{name}` errors that SFN models become SFN exceptions. */
  private async via<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      const name = (e as { name?: unknown }).name;
      if (!(e instanceof AwsFault) && typeof name === 'string' && isModeledError(ServiceName.SFN, name)) {
        throw fault(name, (e as Error).message);
      }
      throw e;
    }
  }

  private json(value: string | undefined, code: string, what: string): string {
    const s = value ?? '{}';
    try {
      JSON.parse(s);
    } catch {
      throw fault(code, `Invalid ${what}: not valid JSON`);
    }
    return s;
  }

  operations(): Record<string, Operation> {
    return {
      StartExecution: (i: StartExecutionCommandInput) => this.startExecution(i),
      SendTaskSuccess: (i: SendTaskSuccessCommandInput) => this.sendTaskSuccess(i),
      SendTaskFailure: (i: SendTaskFailureCommandInput) => this.sendTaskFailure(i),
      SendTaskHeartbeat: (i: SendTaskHeartbeatCommandInput) => this.sendTaskHeartbeat(i),
      DescribeExecution: (i: DescribeExecutionCommandInput) => this.describeExecution(i),
      StopExecution: (i: StopExecutionCommandInput) => this.stopExecution(i),
      ListExecutions: (i: ListExecutionsCommandInput) => this.listExecutions(i),
    };
  }

  async startExecution(i: StartExecutionCommandInput): Promise<Out<StartExecutionCommandOutput>> {
    if (!i.stateMachineArn?.startsWith('arn:')) throw fault('InvalidArn', `Invalid Arn: '${i.stateMachineArn}'`);
    if (i.name !== undefined && !EXECUTION_NAME.test(i.name)) throw fault('InvalidName', `Invalid Name: '${i.name}'`);
    const input = this.json(i.input, 'InvalidExecutionInput', 'execution input');
    const r = await this.via(() => this.b.startExecution({ stateMachineArn: i.stateMachineArn as string, ...(i.name ? { name: i.name } : {}), input }));
    return { executionArn: r.executionArn, startDate: new Date(r.startDate) };
  }

  private token(t: string | undefined): string {
    if (!t || t.length > 2048) throw fault('InvalidToken', 'Invalid Token: the task token must be 1-2048 characters');
    return t;
  }

  async sendTaskSuccess(i: SendTaskSuccessCommandInput): Promise<Record<string, never>> {
    const token = this.token(i.taskToken);
    const output = this.json(i.output, 'InvalidOutput', 'output');
    await this.via(() => this.b.sendTaskSuccess(token, output));
    return {};
  }

  async sendTaskFailure(i: SendTaskFailureCommandInput): Promise<Record<string, never>> {
    const token = this.token(i.taskToken);
    await this.via(() => this.b.sendTaskFailure(token, i.error, i.cause));
    return {};
  }

  async sendTaskHeartbeat(i: SendTaskHeartbeatCommandInput): Promise<Record<string, never>> {
    this.token(i.taskToken);
    return {};
  }

  async describeExecution(i: DescribeExecutionCommandInput): Promise<Out<DescribeExecutionCommandOutput>> {
    if (!i.executionArn?.startsWith('arn:')) throw fault('InvalidArn', `Invalid Arn: '${i.executionArn}'`);
    const r = await this.via(() => this.b.describeExecution(i.executionArn as string));
    return {
      executionArn: r.executionArn,
      stateMachineArn: r.stateMachineArn,
      name: r.name,
      status: r.status,
      startDate: new Date(r.startDate),
      ...(r.stopDate ? { stopDate: new Date(r.stopDate) } : {}),
      input: r.input,
      inputDetails: { included: true },
      ...(r.output !== undefined ? { output: r.output, outputDetails: { included: true } } : {}),
      // Like AWS: a failed (or aborted) execution says why.
      ...(r.error !== undefined ? { error: r.error } : {}),
      ...(r.cause !== undefined ? { cause: r.cause } : {}),
    };
  }

  async stopExecution(i: StopExecutionCommandInput): Promise<Out<StopExecutionCommandOutput>> {
    if (!i.executionArn?.startsWith('arn:')) throw fault('InvalidArn', `Invalid Arn: '${i.executionArn}'`);
    await this.via(() => this.b.stopExecution(i.executionArn as string, i.error, i.cause));
    return { stopDate: new Date(this.ctx.clock.now()) };
  }

  async listExecutions(i: ListExecutionsCommandInput): Promise<Out<ListExecutionsCommandOutput>> {
    const backend = this.b;
    if (!backend.listExecutions) throw new WorldNotImplemented(ServiceName.SFN, 'ListExecutions (the registered backend has no listExecutions)');
    if (!i.stateMachineArn) throw fault('InvalidArn', 'Invalid Arn: stateMachineArn is required');
    const list = backend.listExecutions.bind(backend);
    const r = await this.via(() =>
      list({
        stateMachineArn: i.stateMachineArn as string,
        ...(i.statusFilter ? { statusFilter: i.statusFilter } : {}),
        ...(i.maxResults ? { maxResults: i.maxResults } : {}),
        ...(i.nextToken ? { nextToken: i.nextToken } : {}),
      }),
    );
    return {
      executions: r.executions.map((e) => ({
        executionArn: e.executionArn,
        stateMachineArn: e.stateMachineArn,
        name: e.name,
        status: e.status as 'RUNNING',
        startDate: new Date(e.startDate),
        ...(e.stopDate ? { stopDate: new Date(e.stopDate) } : {}),
      })),
      ...(r.nextToken ? { nextToken: r.nextToken } : {}),
    };
  }
}
