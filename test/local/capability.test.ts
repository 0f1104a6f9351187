/**
 * The rehearsal's one extension point (local/capability.ts, issue #15): a capability passed in
 * `RunOptions.capabilities` plugs in with no edit to local/rehearsal.ts — its handler is registered
 * and invocable, its hooks run in order with what they promise, its invariant check reaches the
 * summary, and leaving one out leaves out its summary part.
 */
import { describe, expect, it } from 'vitest';
import type { CapabilityContext, RehearsalCapability } from '../../local/capability.js';
import { CAPABILITIES } from '../../local/capabilities.js';
import { runScenario } from '../../local/rehearsal.js';
import { parseScenario } from '../../local/scenario.js';
import { builtinScenario } from '../../local/scenarios/builtin.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const goodCanary = () => parseScenario(builtinScenario('good-canary'), 'good-canary');

describe('rehearsal capabilities', () => {
  it('a new capability registers a handler, gets its hooks in order, and its invariant check reaches the summary', async () => {
    const calls: string[] = [];
    let probeAnswer: unknown;
    let servicesSeen: string[] = [];
    const probe = (ctx: CapabilityContext): RehearsalCapability => ({
      name: 'probe',
      handlers: { probe: { makeDeps: () => ({}), createHandler: () => async (event: unknown) => ({ echoed: event }) } },
      async ready() {
        calls.push(`ready:${['intake', 'scale', 'hook', 'probe'].filter((h) => ctx.invoke[h]).join(',')}`);
        probeAnswer = await ctx.invoke.probe?.({ n: 1 });
      },
      beforeServices() {
        calls.push('before');
      },
      afterServices(services) {
        calls.push('after');
        servicesSeen = services.map((s) => `${s.name}/${s.environment}`);
      },
      check: (services) => (services.length > 0 && !calls.includes('checked') && calls.push('checked') ? ['probe saw a state'] : []),
    });
    const trace = await runScenario(goodCanary(), { capabilities: [...CAPABILITIES, probe] });
    expect(calls.slice(0, 3)).toEqual(['ready:intake,scale,hook,probe', 'before', 'after']);
    expect(probeAnswer).toEqual({ echoed: { n: 1 } });
    expect(servicesSeen).toEqual(['api/production']);
    expect(trace.summary.invariantViolations).toEqual([expect.stringMatching(/^after .+: probe saw a state$/)]);
    expect(trace.summary.deployments.map((d) => d.status)).toEqual(['SUCCEEDED']);
  }, 60_000);

  it('without the maintenance capability the summary has no actions and the trace no inventory; the deploy still runs', async () => {
    const trace = await runScenario(goodCanary(), { capabilities: CAPABILITIES.filter((c) => c.name !== 'maintenance') });
    expect(trace.summary.deployments.map((d) => d.status)).toEqual(['SUCCEEDED']);
    expect(trace.summary.actions).toBeUndefined();
    expect(trace.maintenance).toBeUndefined();
    const full = await runScenario(goodCanary());
    expect(full.summary.actions).toEqual([]);
    expect(full.maintenance?.taskSets.length).toBeGreaterThan(0);
  }, 60_000);

  it('a handler name registered twice is an error naming the capability', async () => {
    const twice = (): RehearsalCapability => ({
      name: 'twice',
      handlers: { intake: { makeDeps: () => ({}), createHandler: () => async () => null } },
    });
    await expect(runScenario(goodCanary(), { capabilities: [...CAPABILITIES, twice] })).rejects.toThrow(/twice capability registers handler intake again/);
  }, 60_000);
});
