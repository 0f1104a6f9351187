/**
 * The thin wiring every handler shares: a Powertools logger, middy with the Lambda context injected,
 * and lazy construction so importing a handler module (tests, the local runtime) builds nothing.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';

export type Handler<E, R> = (event: E, context?: Context) => Promise<R>;

export function makeLogger(serviceName: string, logLevel?: string): Logger {
  return new Logger({
    serviceName,
    ...(logLevel ? { logLevel: logLevel as 'INFO' } : {}),
  });
}

/** Wrap a handler body with middy and the Powertools logger (context, cold start, correlation). */
export function wrap<E, R>(logger: Logger, body: (event: E) => Promise<R>): Handler<E, R> {
  const wrapped = middy(async (event: E) => body(event)).use(injectLambdaContext(logger, { resetKeys: true }));
  return (event: E, context?: Context) => wrapped(event, (context ?? ({} as Context)) as Context);
}

/** Build the real handler on first use (reads env and config then, not at import). */
export function lazy<E, R>(build: () => Handler<E, R>): Handler<E, R> {
  let built: Handler<E, R> | undefined;
  return (event, context) => {
    built ??= build();
    return built(event, context);
  };
}
