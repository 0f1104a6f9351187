/**
 * Proof that a callback's SendTaskSuccess came through Cutover's control path (issue #14, 5).
 *
 * `states:SendTaskSuccess` supports no resource-level permission (Service Authorization Reference,
 * AWS Step Functions): any principal allowed it for any workflow, holding a token, can answer any
 * of Cutover's waits — promote a bake, approve a gate. So the control function, before it answers,
 * records on the deployment `{ tokenHash: sha256(token), signalNonceHash: sha256(nonce) }` for a
 * fresh random nonce, and sends the nonce in the output. The deploy path's next state (the bake
 * handler's `verify-signal`) accepts the success only when the record holds both hashes for the token
 * it waited on; otherwise it raises SignalNotVerified and the deployment rolls back.
 *
 * Sound against a reader of the table (it holds hashes only) and of execution histories (a nonce seen
 * there belongs to a wait that is over: the pair names that wait's token). Not against a principal
 * that may both write the table and SendTaskSuccess: item 7's per-role table conditions, and
 * docs/security.md, cover that. A forged SendTaskFailure only rolls back (fail-safe).
 */
import { createHash, randomBytes } from 'node:crypto';

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** What the control function records, and the nonce it sends. */
export function signalProof(taskToken: string): { nonce: string; recorded: { tokenHash: string; signalNonceHash: string } } {
  const nonce = randomBytes(32).toString('hex');
  return { nonce, recorded: { tokenHash: sha256(taskToken), signalNonceHash: sha256(nonce) } };
}

/** Did the control path record this nonce for this token? */
export function signalProven(
  controls: ReadonlyArray<{ readonly detail?: Record<string, unknown> }> | undefined,
  taskToken: string | undefined,
  nonce: unknown,
): boolean {
  if (typeof nonce !== 'string' || nonce.length === 0 || !taskToken) return false;
  const tokenHash = sha256(taskToken);
  const nonceHash = sha256(nonce);
  return (controls ?? []).some((c) => c.detail?.tokenHash === tokenHash && c.detail?.signalNonceHash === nonceHash);
}
