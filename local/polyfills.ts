/**
 * Polyfills the local runtime needs on Node 20.
 *
 * aws-local-stepfunctions 3.0.0 declares Node >= 22 and calls `Promise.withResolvers` (ES2024) in every
 * Task state. Node 20 does not have it. Import this module before anything that loads the executor
 * (the parts of local/runner/ that load it import this first). It is a no-op where the runtime already provides the method.
 */

interface Resolvers<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

type WithResolvers = <T>() => Resolvers<T>;

const PromiseCtor = Promise as unknown as { withResolvers?: WithResolvers };

if (typeof PromiseCtor.withResolvers !== 'function') {
  const withResolvers: WithResolvers = <T>() => {
    let resolve!: Resolvers<T>['resolve'];
    let reject!: Resolvers<T>['reject'];
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
  Object.defineProperty(Promise, 'withResolvers', {
    value: withResolvers,
    writable: true,
    configurable: true,
    enumerable: false,
  });
}

export {};
