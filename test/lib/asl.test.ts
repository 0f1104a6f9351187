// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ASL placeholders are literally ${Name}
import { describe, expect, it } from 'vitest';
import { AslError, classifyPlaceholder, integrations, placeholderKeys, taskStates } from '../../lib/asl.js';
import { HANDLER_NAMES, HANDLERS, kebabCase, pascalCase } from '../../lib/handlers.js';

const task = (Resource: string, Parameters?: object) => ({ Type: 'Task', Resource, ...(Parameters ? { Parameters } : {}), End: true });
const machine = (states: Record<string, object>) => ({ StartAt: Object.keys(states)[0], States: states });

describe('placeholder names', () => {
  it.each([
    ['Prepare', 'prepare'],
    ['AlarmWatcher', 'alarm-watcher'],
    ['Rollback', 'rollback'],
    ['ECRScan', 'ecr-scan'],
  ])('%s <-> %s', (pascal, kebab) => {
    expect(kebabCase(pascal)).toBe(kebab);
  });

  it('every handler name survives pascalCase -> kebabCase', () => {
    for (const name of HANDLER_NAMES) expect(kebabCase(pascalCase(name))).toBe(name);
  });

  it('every handler entry is <name>.ts', () => {
    for (const name of HANDLER_NAMES) expect(HANDLERS[name].entry).toBe(`${name}.ts`);
  });

  it.each([
    ['PrepareFunctionArn', { kind: 'functionArn', key: 'PrepareFunctionArn', handler: 'prepare' }],
    ['AlarmWatcherFunctionArn', { kind: 'functionArn', key: 'AlarmWatcherFunctionArn', handler: 'alarm-watcher' }],
    ['CleanupStateMachineArn', { kind: 'stateMachineArn', key: 'CleanupStateMachineArn', stateMachine: 'cleanup' }],
    ['EventBusName', { kind: 'eventBusName', key: 'EventBusName' }],
    ['EventBusArn', { kind: 'eventBusArn', key: 'EventBusArn' }],
    ['TableName', undefined],
    ['prepareFunctionArn', undefined],
  ])('%s classifies as %j', (key, expected) => {
    expect(classifyPlaceholder(key)).toEqual(expected);
  });

  it('placeholderKeys lists each ${Key} once, in order, and ignores JSONPath and intrinsics', () => {
    const text = JSON.stringify({
      a: '${BFunctionArn}',
      b: '$.x',
      c: "States.Format('{}', $.y)",
      d: '${AFunctionArn}',
      e: '${BFunctionArn}',
    });
    expect(placeholderKeys(text)).toEqual(['BFunctionArn', 'AFunctionArn']);
  });
});

describe('taskStates walks nested states', () => {
  it('finds Task states inside Parallel branches and inline Map processors', () => {
    const def = machine({
      P: {
        Type: 'Parallel',
        Branches: [machine({ A: task('${AFunctionArn}') }), machine({ B: task('${BFunctionArn}') })],
        Next: 'M',
      },
      M: { Type: 'Map', ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, ...machine({ C: task('${CFunctionArn}') }) }, Next: 'I' },
      I: { Type: 'Map', Iterator: machine({ D: task('${DFunctionArn}') }), Next: 'W' },
      W: { Type: 'Wait', Seconds: 1, End: true },
    });
    expect(taskStates(def).map((t) => t.state)).toEqual(['A', 'B', 'C', 'D']);
  });

  it('rejects a distributed Map (it would need permissions on itself)', () => {
    const def = machine({
      M: { Type: 'Map', ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED' }, ...machine({ C: task('${CFunctionArn}') }) }, End: true },
    });
    expect(() => taskStates(def, 'x.asl.json')).toThrow(AslError);
    expect(() => taskStates(def, 'x.asl.json')).toThrow(/x\.asl\.json: state "M" is a distributed Map/);
  });
});

describe('integrations', () => {
  it.each([
    [
      'lambda:invoke',
      task('arn:aws:states:::lambda:invoke', { FunctionName: '${ShiftFunctionArn}' }),
      { kind: 'lambdaInvoke', mode: 'requestResponse', functionKey: 'ShiftFunctionArn' },
    ],
    [
      'lambda:invoke.waitForTaskToken',
      task('arn:aws:states:::lambda:invoke.waitForTaskToken', { FunctionName: '${BakeFunctionArn}' }),
      { kind: 'lambdaInvoke', mode: 'waitForTaskToken', functionKey: 'BakeFunctionArn' },
    ],
    ['a function ARN as Resource', task('${LockFunctionArn}'), { kind: 'lambdaInvoke', mode: 'requestResponse', functionKey: 'LockFunctionArn' }],
    [
      'states:startExecution.sync:2',
      task('arn:aws:states:::states:startExecution.sync:2', { StateMachineArn: '${ChildStateMachineArn}' }),
      { kind: 'startExecution', mode: 'sync2', stateMachineKey: 'ChildStateMachineArn' },
    ],
    ['ecs:runTask.sync', task('arn:aws:states:::ecs:runTask.sync', { 'TaskDefinition.$': '$.td' }), { kind: 'ecsRunTask', mode: 'sync' }],
    [
      'events:putEvents',
      task('arn:aws:states:::events:putEvents', { Entries: [{ EventBusName: '${EventBusName}', Source: 'cutover' }] }),
      { kind: 'putEvents', mode: 'requestResponse', busKeys: ['EventBusName'] },
    ],
    [
      'a hook named at run time (FunctionName.$)',
      task('arn:aws:states:::lambda:invoke', { 'FunctionName.$': '$.hook.functionArn', 'Payload.$': '$' }),
      { kind: 'hookInvoke', mode: 'requestResponse', functionPath: '$.hook.functionArn' },
    ],
    [
      'a GovCloud partition',
      task('arn:aws-us-gov:states:::lambda:invoke', { FunctionName: '${ShiftFunctionArn}' }),
      { kind: 'lambdaInvoke', mode: 'requestResponse', functionKey: 'ShiftFunctionArn' },
    ],
  ])('%s', (_name, state, expected) => {
    expect(integrations(machine({ S: state }))).toEqual([{ state: 'S', ...expected }]);
  });

  it.each([
    ['an SDK integration', task('arn:aws:states:::aws-sdk:ecs:describeServices', {}), /uses Resource "arn:aws:states:::aws-sdk:ecs:describeServices", which Cutover does not grant for/],
    ['dynamodb:putItem', task('arn:aws:states:::dynamodb:putItem', {}), /which Cutover does not grant for/],
    ['no FunctionName', task('arn:aws:states:::lambda:invoke', { Payload: {} }), /must name its function as "FunctionName": "\$\{<Name>FunctionArn\}"/],
    ['a .sync lambda:invoke', task('arn:aws:states:::lambda:invoke.sync', { 'FunctionName.$': '$.fn' }), /lambda:invoke has no \.sync/],
    ['a literal function ARN', task('arn:aws:states:::lambda:invoke', { FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:x' }), /must name its function/],
    ['a dynamic child state machine', task('arn:aws:states:::states:startExecution', { 'StateMachineArn.$': '$.sm' }), /must name its state machine/],
    ['events to the default bus', task('arn:aws:states:::events:putEvents', { Entries: [{ Source: 'x' }] }), /must send every entry to Cutover's bus/],
    ['a placeholder Resource that is not a function', task('${EventBusArn}'), /is not a <Name>FunctionArn placeholder/],
    ['no Resource', { Type: 'Task', End: true }, /has no Resource/],
  ])('rejects %s with the state named', (_name, state, message) => {
    expect(() => integrations(machine({ Bad: state }), 'deploy.asl.json')).toThrow(AslError);
    expect(() => integrations(machine({ Bad: state }), 'deploy.asl.json')).toThrow(/deploy\.asl\.json: Task state "Bad"/);
    expect(() => integrations(machine({ Bad: state }), 'deploy.asl.json')).toThrow(message);
  });
});
