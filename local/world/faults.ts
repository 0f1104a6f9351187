/**
 * Injected AWS faults. A fault matches `Service:Operation` (or `Service:*`, or `*`), is active from
 * `fromMs` on, and fails `count` matching calls (Infinity for a persistent fault); each matching
 * call decrements it. The first active matching fault wins (injection order).
 */
import type { FaultSpec } from '../contracts.js';

export type FaultKind = FaultSpec['kind'];

/** A fault spec, plus whether a timed-out write took effect before the response was lost. */
export interface WorldFaultSpec extends FaultSpec {
  /**
   * Only for `timeout`: the request reached AWS and was applied, only the response was lost (the
   * hard case that client tokens and idempotent handlers exist for). Default false.
   */
  readonly applied?: boolean;
}

interface ActiveFault {
  readonly spec: WorldFaultSpec;
  remaining: number;
  readonly fromMs: number;
}

export class FaultBook {
  private faults: ActiveFault[] = [];

  add(spec: WorldFaultSpec, nowMs: number): void {
    if (!(spec.count > 0)) throw new Error(`FaultSpec.count must be positive (got ${spec.count})`);
    if (spec.operation !== '*' && !/^[A-Za-z0-9]+:(\*|[A-Za-z0-9]+)$/.test(spec.operation)) {
      throw new Error(`FaultSpec.operation must be 'Service:Operation', 'Service:*' or '*' (got '${spec.operation}')`);
    }
    this.faults.push({ spec, remaining: spec.count, fromMs: spec.fromMs ?? nowMs });
  }

  /** Consume the fault (if any) that applies to this call. */
  take(service: string, operation: string, nowMs: number): WorldFaultSpec | undefined {
    const f = this.faults.find((x) => x.remaining > 0 && nowMs >= x.fromMs && matches(x.spec.operation, service, operation));
    if (!f) return undefined;
    f.remaining -= 1;
    if (f.remaining <= 0) this.faults = this.faults.filter((x) => x !== f);
    return f.spec;
  }

  /** Faults still pending (with their remaining counts). */
  pending(): Array<WorldFaultSpec & { remaining: number }> {
    return this.faults.map((f) => ({ ...f.spec, remaining: f.remaining }));
  }

  clear(): void {
    this.faults = [];
  }
}

function matches(pattern: string, service: string, operation: string): boolean {
  if (pattern === '*') return true;
  const [s, o] = pattern.split(':');
  return s === service && (o === '*' || o === operation);
}
