/**
 * The native engine in the rehearsal (a capability, local/capability.ts; issue #17): the native
 * branch's handler (`native`: start, follow and finish ECS's own deployment), the target of the
 * "ECS Deployment State Change" rule (`native-event`) and Cutover's lifecycle-hook Lambda (`native-hook`). The
 * world's ECS invokes the hook through `world.setHookInvoker`, as ECS invokes a Lambda function:
 * the runner's registered `cutover-native-hook` answers; and the world's deployment state change
 * events are delivered to the rule's target, as EventBridge does.
 */
import * as native from '../functions/handlers/native.js';
import * as nativeEvent from '../functions/handlers/native-event.js';
import * as nativeHook from '../functions/handlers/native-hook.js';
import type { CapabilityContext, RehearsalCapability } from './capability.js';
import { DEPLOYMENT_STATE_CHANGE } from './world/ecs-native.js';

export function nativeEngine(ctx: CapabilityContext): RehearsalCapability {
  return {
    name: 'native',
    handlers: { native, 'native-hook': nativeHook, 'native-event': nativeEvent },
    ready() {
      if (ctx.remote) return;
      const hookArn = native.hookTarget(ctx.env).functionArn;
      ctx.world.setHookInvoker(async (functionArn, payload) => {
        const fn = functionArn === hookArn ? ctx.invoke['native-hook'] : undefined;
        if (fn) return fn(payload);
        // The service's own hooks (a scenario's scripted `world.hooks`), registered with the runner.
        // An ARN nothing registered rejects: ECS then rolls the deployment back, as for a missing function.
        return ctx.runner.invokeFunction(functionArn, payload, { recordErrors: false });
      });
      ctx.world.onAwsEvent((event) => {
        if (event.source === 'aws.ecs' && event['detail-type'] === DEPLOYMENT_STATE_CHANGE) ctx.deliver('native-event', `native-event ${event.id}`, event);
      });
    },
  };
}
