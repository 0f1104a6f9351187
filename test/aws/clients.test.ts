import { ECSClient, ListClustersCommand } from '@aws-sdk/client-ecs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { clientConfig, clientOptionsFromEnv, makeClient } from '../../functions/aws/clients.js';
import { LOCAL_CREDENTIALS } from '../helpers/dynalite.js';

describe('clientOptionsFromEnv', () => {
  it('reads region and the two endpoints', () => {
    expect(
      clientOptionsFromEnv({
        AWS_REGION: 'eu-west-1',
        CUTOVER_AWS_ENDPOINT: 'http://127.0.0.1:4000',
        CUTOVER_DYNAMODB_ENDPOINT: 'http://127.0.0.1:5000',
      }),
    ).toEqual({ region: 'eu-west-1', endpoint: 'http://127.0.0.1:4000', dynamodbEndpoint: 'http://127.0.0.1:5000' });
  });
  it('leaves out unset and empty values', () => {
    expect(clientOptionsFromEnv({ AWS_REGION: '', CUTOVER_AWS_ENDPOINT: '  ' })).toEqual({});
  });
});

describe('clientConfig', () => {
  it('turns off SDK retries (the state machines retry) and sets timeouts', () => {
    expect(clientConfig({ region: 'eu-west-1', endpoint: 'http://x', dynamodbEndpoint: 'http://d' })).toEqual({
      region: 'eu-west-1',
      endpoint: 'http://x',
      maxAttempts: 1,
      requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 },
    });
  });
  it('uses the DynamoDB endpoint for kind dynamodb, and no endpoint when unset', () => {
    expect(clientConfig({ endpoint: 'http://x', dynamodbEndpoint: 'http://d' }, 'dynamodb').endpoint).toBe('http://d');
    expect(clientConfig({ endpoint: 'http://x' }, 'dynamodb')).not.toHaveProperty('endpoint');
  });
});

describe('makeClient', () => {
  it('builds a client with one attempt and routes calls through the plugins', async () => {
    // Prepare: a plugin that answers every call (as the local world does)
    const seen: string[] = [];
    const plugin = {
      applyToStack: (stack: { add: (mw: unknown, opts: unknown) => void }) =>
        stack.add(
          (_next: unknown, context: { commandName?: string }) => async () => {
            seen.push(context.commandName ?? '?');
            return { output: { $metadata: {}, clusterArns: ['arn:c'] } };
          },
          { step: 'initialize', name: 'answer' },
        ),
    };
    const ecs = makeClient(ECSClient, { region: 'eu-west-1', credentials: LOCAL_CREDENTIALS, plugins: [plugin as never] });
    // Act
    const out = await ecs.send(new ListClustersCommand({}));
    // Assess
    expect(out.clusterArns).toEqual(['arn:c']);
    expect(seen).toEqual(['ListClustersCommand']);
    expect(await ecs.config.maxAttempts()).toBe(1);
    ecs.destroy();
  });

  it('gives a DynamoDB client the DynamoDB endpoint', async () => {
    const ddb = makeClient(
      DynamoDBClient,
      { region: 'eu-west-1', endpoint: 'http://127.0.0.1:1', dynamodbEndpoint: 'http://127.0.0.1:2', credentials: LOCAL_CREDENTIALS },
      'dynamodb',
    );
    const endpoint = await ddb.config.endpoint?.();
    expect(endpoint?.port).toBe(2);
    ddb.destroy();
  });
});
