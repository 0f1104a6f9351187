/**
 * The bench's bare baseline: which SDK commands a handler bundle sends (from its metafile), and a
 * generated entry that bundles exactly those clients and commands.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { describe, expect, it } from 'vitest';
import { bareEntry, cdkBuildOptions, sdkCommandsIn, usesDocumentClient } from '../../bench/bundles.js';

const input = (bytesInOutput: number) => ({ bytesInOutput });
const META: esbuild.Metafile = {
  inputs: {},
  outputs: {
    'index.mjs': {
      bytes: 1,
      imports: [],
      exports: [],
      inputs: {
        'node_modules/@aws-sdk/client-ecs/dist-es/commands/UpdateTaskSetCommand.js': input(900),
        'node_modules/@aws-sdk/client-ecs/dist-es/commands/CreateTaskSetCommand.js': input(1200),
        // Imported but tree-shaken away: not sent.
        'node_modules/@aws-sdk/client-ecs/dist-es/commands/ListTasksCommand.js': input(0),
        'node_modules/@aws-sdk/client-dynamodb/dist-es/commands/QueryCommand.js': input(700),
        'node_modules/@aws-sdk/lib-dynamodb/dist-es/commands/QueryCommand.js': input(300),
        'node_modules/@aws-sdk/client-ecs/dist-es/ECSClient.js': input(5000),
        'functions/aws/ecs.ts': input(3000),
      },
    },
  },
};

describe('bench bare baseline', () => {
  it('reads the commands that contribute bytes, by package, and whether the document client is in', () => {
    expect(Object.fromEntries(sdkCommandsIn(META))).toEqual({
      '@aws-sdk/client-ecs': ['CreateTaskSetCommand', 'UpdateTaskSetCommand'],
      '@aws-sdk/client-dynamodb': ['QueryCommand'],
      '@aws-sdk/lib-dynamodb': ['QueryCommand'],
    });
    expect(usesDocumentClient(META)).toBe(true);
  });

  it('bundles the clients and commands, same-named commands of two packages included', async () => {
    // Inside the project (.bench/ is gitignored), so the entry resolves the SDK from node_modules.
    mkdirSync(join(process.cwd(), '.bench'), { recursive: true });
    const dir = mkdtempSync(join(process.cwd(), '.bench', 'test-bare-'));
    try {
      const entry = bareEntry(
        [['@aws-sdk/client-dynamodb', 'DynamoDBClient']],
        new Map([
          ['@aws-sdk/client-dynamodb', ['QueryCommand']],
          ['@aws-sdk/lib-dynamodb', ['QueryCommand']],
        ]),
        true,
      );
      const file = join(dir, 'entry.mjs');
      writeFileSync(file, entry);
      const built = await esbuild.build({ ...cdkBuildOptions(process.cwd()), entryPoints: [file], outfile: join(dir, 'out.mjs'), logLevel: 'silent' });
      const commands = sdkCommandsIn(built.metafile as esbuild.Metafile);
      // (the DynamoDB client brings DescribeEndpointsCommand for endpoint discovery itself)
      expect(commands.get('@aws-sdk/client-dynamodb')).toEqual(expect.arrayContaining(['QueryCommand']));
      expect(commands.get('@aws-sdk/lib-dynamodb')).toEqual(expect.arrayContaining(['QueryCommand']));
      expect(usesDocumentClient(built.metafile as esbuild.Metafile)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
