/**
 * Calling what a Task state is bound to: a registered Lambda function (optimized or by ARN) or a
 * registered task resource.
 */
import type { Binding, StateMeta } from './compile.js';
import { LocalRuntimeError, lambdaError } from './errors.js';
import { isObject, jsonClone } from './json.js';
import type { Execution } from './records.js';
import type { RunnerState } from './state.js';
import type { Json, TaskInvocationInfo } from './types.js';

/** The function name a Lambda ARN, partial ARN, name:qualifier or name refers to. */
export function lambdaFunctionKey(nameOrArn: string): string {
  const m = /(?:^|:)function:([^:]+)/.exec(nameOrArn);
  if (m) return m[1] as string;
  return nameOrArn.split(':')[0] as string;
}

export async function invokeTarget(
  rt: RunnerState,
  exec: Execution,
  meta: StateMeta,
  binding: Extract<Binding, { kind: 'task' }>,
  params: Json,
  taskToken: string | undefined,
): Promise<Json> {
  const target = binding.target;
  switch (target.kind) {
    case 'lambda-optimized': {
      const p = isObject(params) ? params : {};
      if (typeof p.FunctionName !== 'string') {
        throw new LocalRuntimeError(`${meta.path}: lambda:invoke needs Parameters.FunctionName (a string)`);
      }
      const payload = 'Payload' in p ? (p.Payload as Json) : {};
      const result = await invokeLambda(rt, exec, meta, p.FunctionName, payload);
      return { ExecutedVersion: '$LATEST', Payload: result, StatusCode: 200 };
    }
    case 'lambda-arn':
      return invokeLambda(rt, exec, meta, target.functionName, params);
    case 'resource': {
      const fn = rt.resources.get(target.resource);
      if (!fn) {
        const err = new LocalRuntimeError(`${meta.path}: resource '${target.resource}' is not registered with the local runner`);
        rt.recordError(`${exec.name} › ${meta.path}`, err);
        throw err;
      }
      const info: TaskInvocationInfo = {
        executionArn: exec.executionArn,
        stateName: meta.name,
        resource: target.resource,
        ...(taskToken === undefined ? {} : { taskToken }),
      };
      try {
        return jsonClone(await fn(jsonClone(params), info));
      } catch (e) {
        throw lambdaError(e);
      }
    }
  }
}

async function invokeLambda(rt: RunnerState, exec: Execution, meta: StateMeta, functionName: string, payload: Json): Promise<Json> {
  const fn = rt.functions.get(lambdaFunctionKey(functionName));
  if (!fn) {
    const err = new LocalRuntimeError(
      `${meta.path}: Lambda function '${functionName}' is not registered with the local runner (registerFunction)`,
    );
    rt.recordError(`${exec.name} › ${meta.path}`, err);
    throw err;
  }
  exec.lambdaInvocations++;
  exec.history.push({ kind: 'LambdaInvoked', at: rt.clock.now(), stateName: meta.name, functionName });
  let result: unknown;
  try {
    result = await fn(jsonClone(payload));
  } catch (e) {
    throw lambdaError(e);
  }
  return jsonClone(result);
}
