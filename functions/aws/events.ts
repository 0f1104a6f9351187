/** EventBridge adapter: Cutover's lifecycle events on its bus (EventPublisher). */
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { AwsThrottled, AwsUnavailable } from '../core/errors.js';
import { EVENT_SOURCE, type LifecycleEvent } from '../core/model.js';
import type { EventPublisher } from '../core/ports.js';
import { awsCall } from './aws-errors.js';

export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly eventBusName: string,
  ) {}

  /**
   * Put one event (`source: cutover`, `detail-type`: the lifecycle event). PutEvents answers 200
   * even when the entry failed: a failed entry throws AwsThrottled (`ThrottlingException`) or
   * AwsUnavailable (anything else), both retried by the state machine.
   */
  async publish(kind: LifecycleEvent, detail: Record<string, unknown>): Promise<void> {
    const out = await awsCall('EventBridge:PutEvents', () =>
      this.client.send(
        new PutEventsCommand({
          Entries: [{ EventBusName: this.eventBusName, Source: EVENT_SOURCE, DetailType: kind, Detail: JSON.stringify(detail) }],
        }),
      ),
    );
    if ((out.FailedEntryCount ?? 0) > 0) {
      const entry = out.Entries?.find((e) => e.ErrorCode !== undefined);
      const details = { operation: 'EventBridge:PutEvents', awsError: entry?.ErrorCode, awsMessage: entry?.ErrorMessage, detailType: kind };
      const message = `EventBridge:PutEvents failed for "${kind}": ${entry?.ErrorCode ?? 'unknown'}: ${entry?.ErrorMessage ?? ''}`;
      throw entry?.ErrorCode === 'ThrottlingException'
        ? new AwsThrottled(message, { details })
        : new AwsUnavailable(message, { details });
    }
  }
}
