/**
 * A mistake in what the user gave the construct (props, handler files, state-machine definitions):
 * `cdk synth` prints the message and exits 1, without a stack trace (bin/app.ts).
 */
export class SynthError extends Error {
  override readonly name: string = 'SynthError';
}
