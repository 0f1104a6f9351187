/**
 * `CutoverStack`: the one stack `cdk deploy` creates — a {@link ControlPlane} for the configuration,
 * in the configuration's account and region when it names them, and outputs the CLI reads
 * (cli/settings.ts): `TableName`, `EventBusName`, `<Name>StateMachineArn` for every loaded
 * state machine (`DeployStateMachineArn`, `ControlStateMachineArn`, `RollbackStateMachineArn`,
 * `CleanupStateMachineArn`, ...) and `ReleaseFunctionName` (an operator's release approve/abort).
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { CutoverConfig } from '../functions/core/config.js';
import { ControlPlane, type ControlPlaneProps } from './control-plane.js';
import { pascalCase } from './handlers.js';

export interface CutoverStackProps extends StackProps {
  readonly config: CutoverConfig;
  /**
   * Everything else the control plane takes.
   * @default - the ControlPlane defaults
   */
  readonly controlPlane?: Omit<ControlPlaneProps, 'config'>;
}

export class CutoverStack extends Stack {
  readonly controlPlane: ControlPlane;

  constructor(scope: Construct, id: string, props: CutoverStackProps) {
    const { config, controlPlane, ...stackProps } = props;
    super(scope, id, {
      description: 'Cutover: progressive delivery for Amazon ECS services',
      ...stackProps,
      env: stackProps.env ?? envOf(config),
    });
    this.controlPlane = new ControlPlane(this, 'ControlPlane', { ...controlPlane, config });
    new CfnOutput(this, 'TableName', { value: this.controlPlane.table.tableName });
    new CfnOutput(this, 'EventBusName', { value: this.controlPlane.bus.eventBusName });
    for (const [name, sm] of Object.entries(this.controlPlane.stateMachines)) {
      new CfnOutput(this, `${pascalCase(name)}StateMachineArn`, { value: sm.stateMachineArn });
    }
    new CfnOutput(this, 'ReleaseFunctionName', {
      description: 'Invoke with {"action":"control","control":{"releaseId","action":"approve"|"abort","by","reason"}} to answer a release approval',
      value: this.controlPlane.functions.release.functionName,
    });
  }
}

/** The stack environment from `config.account` / `config.region` (each only when set). */
export function envOf(config: CutoverConfig): StackProps['env'] {
  if (config.account === undefined && config.region === undefined) return undefined;
  return {
    ...(config.account !== undefined ? { account: config.account } : {}),
    ...(config.region !== undefined ? { region: config.region } : {}),
  };
}
