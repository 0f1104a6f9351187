/**
 * CloudWatch dimensions of Application Load Balancer metrics, derived from ARNs.
 *
 * AWS/ApplicationELB metrics per target group (RequestCount, HTTPCode_Target_5XX_Count,
 * TargetResponseTime) are published with two dimensions:
 * - `TargetGroup`: the target group ARN's resource part, `targetgroup/<name>/<id>`;
 * - `LoadBalancer`: the load balancer ARN's resource part without `loadbalancer/`, `app/<name>/<id>`.
 * The load balancer is found from the production listener or listener rule ARN, whose resource part
 * starts with the load balancer's `app/<name>/<id>`.
 */
import { ARN_PATTERNS } from './patterns.js';
import { ValidationError } from './errors.js';

const LOAD_BALANCER_ARN =
  /^arn:(aws|aws-cn|aws-us-gov):elasticloadbalancing:[a-z]{2}(-[a-z]+)+-\d:\d{12}:loadbalancer\/app\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16}$/;

/** The part after the fifth colon: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`. */
function resourceOf(arn: string): string {
  return arn.split(':').slice(5).join(':');
}

/**
 * `arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api-blue/0123456789abcdef`
 * -> `targetgroup/api-blue/0123456789abcdef`.
 *
 * Throws {@link ValidationError} when the ARN is not an ALB target-group ARN.
 */
export function targetGroupDimension(targetGroupArn: string): string {
  if (!ARN_PATTERNS.targetGroup.test(targetGroupArn)) {
    throw new ValidationError('target group ARN', [
      `"${targetGroupArn}" is not an ALB target-group ARN (arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID)`,
    ]);
  }
  return resourceOf(targetGroupArn);
}

/**
 * The `LoadBalancer` dimension from a listener, listener-rule or load balancer ARN:
 * - `...:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2` -> `app/shop/50dc6c495c0c9188`
 * - `...:listener-rule/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee` -> `app/shop/50dc6c495c0c9188`
 * - `...:loadbalancer/app/shop/50dc6c495c0c9188` -> `app/shop/50dc6c495c0c9188`
 *
 * Throws {@link ValidationError} for anything else (Network Load Balancer `net/` ARNs included:
 * Cutover shifts traffic with ALB weighted target groups only).
 */
export function loadBalancerDimension(listenerOrRuleArn: string): string {
  if (
    ARN_PATTERNS.listener.test(listenerOrRuleArn) ||
    ARN_PATTERNS.listenerRule.test(listenerOrRuleArn) ||
    LOAD_BALANCER_ARN.test(listenerOrRuleArn)
  ) {
    // arn:PARTITION:elasticloadbalancing:REGION:ACCOUNT:RESOURCE; RESOURCE is
    // (listener|listener-rule|loadbalancer)/app/NAME/ID[/...]
    const resource = resourceOf(listenerOrRuleArn);
    return resource.split('/').slice(1, 4).join('/');
  }
  throw new ValidationError('load balancer ARN', [
    `"${listenerOrRuleArn}" is not an ALB listener, listener-rule or load balancer ARN (arn:aws:elasticloadbalancing:REGION:ACCOUNT:listener/app/NAME/ID/ID)`,
  ]);
}

/**
 * The ALB `LoadBalancer` dimension of a production route, or undefined for a Network Load
 * Balancer's listener (the native engine: NLB publishes no per-target-group request metric, so the
 * deployment has no ALB dimension). Anything else throws as {@link loadBalancerDimension} does.
 *
 * Example: `...:listener/net/shop/50dc6c495c0c9188/f2f7dc8efc522ab2` -> undefined.
 */
export function albDimensionOf(routeArn: string): string | undefined {
  return ARN_PATTERNS.nlbListener.test(routeArn) ? undefined : loadBalancerDimension(routeArn);
}
