/**
 * Every lambda:invoke Task of the release, reconcile and cleanup state machines retries the Lambda
 * service errors AWS recommends retrying (Step Functions Developer Guide, "Handling transient Lambda
 * service exceptions"), ClientExecutionTimeoutException included (issue #12, defect 5).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.TooManyRequestsException',
];

type State = { Type: string; Resource?: string; Retry?: Array<{ ErrorEquals: string[]; MaxAttempts?: number }>; ItemProcessor?: { States: Record<string, State> }; Iterator?: { States: Record<string, State> }; Branches?: Array<{ States: Record<string, State> }> };

function lambdaTasks(states: Record<string, State>, prefix = ''): Array<[string, State]> {
  return Object.entries(states).flatMap(([name, s]) => [
    ...(s.Type === 'Task' && s.Resource?.startsWith('arn:aws:states:::lambda:invoke') ? [[`${prefix}${name}`, s] as [string, State]] : []),
    ...(s.ItemProcessor ? lambdaTasks(s.ItemProcessor.States, `${prefix}${name}/`) : []),
    ...(s.Iterator ? lambdaTasks(s.Iterator.States, `${prefix}${name}/`) : []),
    ...(s.Branches ?? []).flatMap((b, i) => lambdaTasks(b.States, `${prefix}${name}[${i}]/`)),
  ]);
}

describe.each(['release', 'reconcile', 'cleanup'])('%s.asl.json', (file) => {
  const doc = JSON.parse(readFileSync(new URL(`../../statemachines/${file}.asl.json`, import.meta.url), 'utf8')) as { States: Record<string, State> };
  const tasks = lambdaTasks(doc.States);

  it('has Lambda tasks', () => {
    expect(tasks.length).toBeGreaterThan(0);
  });

  it.each(tasks.map(([name]) => name))('%s retries every Lambda service error', (name) => {
    const state = tasks.find(([n]) => n === name)?.[1] as State;
    const retried = new Set((state.Retry ?? []).filter((r) => (r.MaxAttempts ?? 3) > 0).flatMap((r) => r.ErrorEquals));
    expect(LAMBDA_SERVICE_ERRORS.filter((e) => !retried.has(e) && !retried.has('States.ALL'))).toEqual([]);
  });
});
