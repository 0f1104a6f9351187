/**
 * An operator without a region or credentials is told that, and how to set them, not "no state
 * table name"; every error from AWS that the CLI prints has a `next:` line (issue #16).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AwsRequestFailed } from '../../functions/core/errors.js';
import { awsProblem } from '../../cli/aws-hints.js';
import { bufferIO, CommandError } from '../../cli/io.js';
import { reportError } from '../../cli/main.js';
import { resolveSettings } from '../../cli/settings.js';

function failingStack(err: Error) {
  return resolveSettings({ flags: {}, env: {}, cwd: '/nonexistent', clientOptions: {}, readStackOutputs: async () => Promise.reject(err) });
}
function named(name: string, message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { name }, extra);
}

describe('set-up problems are named before their consequence', () => {
  it('no region: says so and how to set it', async () => {
    const s = failingStack(new Error('Region is missing'));
    const err = await s.require('tableName').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect((err as CommandError).message).toBe('no AWS region is set, so the state table name could not be read from stack CutoverStack');
    expect((err as CommandError).hint).toContain('AWS_REGION');
    expect((err as CommandError).hint).toContain('--region');
  });

  it('no credentials: says so and how to get them', async () => {
    const s = failingStack(named('CredentialsProviderError', 'Could not load credentials from any providers'));
    const err = (await s.require('control').catch((e: unknown) => e)) as CommandError;
    expect(err.message).toMatch(/^no AWS credentials were found/);
    expect(err.hint).toContain('AWS_PROFILE');
  });

  it('expired credentials and a denied call say what to do', () => {
    expect(awsProblem(named('ExpiredTokenException', 'The security token included in the request is expired', { $metadata: {} }))?.next).toContain('aws sso login');
    const denied = new AwsRequestFailed('StartExecution failed', { details: { awsError: 'AccessDeniedException', awsMessage: 'not authorized to perform: states:StartExecution' } });
    expect(awsProblem(denied)?.what).toContain('AWS denied the call (AccessDeniedException: not authorized to perform: states:StartExecution)');
  });
});

describe('every AWS error the CLI prints has a next line', () => {
  it('for any AWS error name and message, classified or raw', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Z][A-Za-z]{2,30}$/), fc.string({ maxLength: 80 }), fc.boolean(), (name, message, classified) => {
        const e = classified
          ? new AwsRequestFailed(`X failed: ${name}: ${message}`, { details: { awsError: name, awsMessage: message } })
          : named(name, message, { $metadata: { httpStatusCode: 400 } });
        const io = bufferIO();
        expect(reportError(e, io)).toBe(1);
        expect(io.err()).toMatch(/^cutover: .*\n {2}next: \S/s);
      }),
    );
  });

  it('an error that is not from AWS is not dressed as one', () => {
    expect(awsProblem(new TypeError('x is undefined'))).toBeUndefined();
  });
});
