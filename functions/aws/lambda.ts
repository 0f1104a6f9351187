/**
 * Lambda adapter: invoke a hook (a user's Lambda function) synchronously (HookInvoker).
 *
 * What the hook did comes back as a value, not an exception: its answer, its function error
 * (`FunctionError` with `{errorType, errorMessage}`), a 4xx from Lambda (function not found, not
 * allowed ...) as an error, or no answer within the timeout. Only throttling and 5xx are thrown
 * (AwsThrottled / AwsUnavailable), so the state machine retries them: the hook never ran.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { AwsRequestFailed } from '../core/errors.js';
import type { HookReply } from '../core/hooks.js';
import type { HookInvoker } from '../core/ports.js';
import { awsErrorName, classifyAwsError } from './aws-errors.js';

/**
 * The client's own request timeout must outlast every hook's invocationTimeoutSeconds (at most
 * 840 s): the adapter enforces the hook's timeout itself with an abort signal.
 */
export const HOOK_CLIENT_REQUEST_TIMEOUT_MS = 870_000;

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** A function error's payload `{ errorType, errorMessage }`, or the raw text. */
export function functionErrorOf(functionError: string, text: string): { errorType: string; message: string } {
  try {
    const parsed = JSON.parse(text) as { errorType?: unknown; errorMessage?: unknown };
    return {
      errorType: typeof parsed?.errorType === 'string' ? parsed.errorType : functionError,
      message: typeof parsed?.errorMessage === 'string' ? parsed.errorMessage : text,
    };
  } catch {
    return { errorType: functionError, message: text || 'no details' };
  }
}

export class LambdaHookInvoker implements HookInvoker {
  constructor(private readonly client: LambdaClient) {}

  async invoke(functionArn: string, payload: unknown, timeoutSeconds: number): Promise<HookReply> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutSeconds * 1000);
    try {
      const out = await this.client.send(
        new InvokeCommand({ FunctionName: functionArn, InvocationType: 'RequestResponse', Payload: encoder.encode(JSON.stringify(payload)) }),
        { abortSignal: abort.signal },
      );
      const text = out.Payload ? decoder.decode(out.Payload) : '';
      if (out.FunctionError) return { kind: 'error', ...functionErrorOf(out.FunctionError, text) };
      let answer: unknown = null;
      if (text !== '') {
        try {
          answer = JSON.parse(text);
        } catch {
          answer = text;
        }
      }
      return { kind: 'answered', answer };
    } catch (err) {
      if (abort.signal.aborted) return { kind: 'timeout' };
      const classified = classifyAwsError(err, 'Lambda:Invoke');
      if (classified instanceof AwsRequestFailed) {
        return { kind: 'error', errorType: awsErrorName(err) ?? 'Error', message: (err as Error)?.message ?? String(err) };
      }
      throw classified;
    } finally {
      clearTimeout(timer);
    }
  }
}
