/**
 * EventBridge PutEvents: each valid entry is recorded and handed to the sinks; invalid entries fail
 * one by one (FailedEntryCount) the way EventBridge reports them.
 */
import type { PutEventsCommandInput, PutEventsCommandOutput, PutEventsResultEntry } from '@aws-sdk/client-eventbridge';
import type { PutEvent } from '../contracts.js';
import { fault } from './errors.js';
import type { WorldContext } from './types.js';

type Out<T> = Omit<T, '$metadata'>;
export type Operation = (input: never) => unknown;

export class EventBridgeWorld {
  constructor(
    private readonly ctx: WorldContext,
    private readonly deliver: (event: PutEvent) => void,
  ) {}

  operations(): Record<string, Operation> {
    return { PutEvents: (i: PutEventsCommandInput) => this.putEvents(i) };
  }

  putEvents(i: PutEventsCommandInput): Out<PutEventsCommandOutput> {
    const entries = i.Entries ?? [];
    if (entries.length === 0 || entries.length > 10) {
      throw fault('ValidationException', '1 validation error detected: Value at \'entries\' failed to satisfy constraint: Member must have length between 1 and 10');
    }
    let failed = 0;
    const results: PutEventsResultEntry[] = entries.map((e) => {
      if (!e.Source || !e.DetailType || e.Detail === undefined) {
        failed++;
        return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameters Source, DetailType and Detail are required.' };
      }
      let detail: unknown;
      try {
        detail = JSON.parse(e.Detail);
      } catch {
        failed++;
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
      }
      if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) {
        failed++;
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
      }
      this.deliver({
        source: e.Source,
        detailType: e.DetailType,
        detail,
        ...(e.EventBusName ? { eventBusName: e.EventBusName } : {}),
        ...(e.Resources ? { resources: [...e.Resources] } : {}),
        time: this.ctx.clock.now(),
      });
      return { EventId: this.ctx.ids.uuid() };
    });
    return { FailedEntryCount: failed, Entries: results };
  }
}
