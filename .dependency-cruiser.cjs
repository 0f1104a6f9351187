/** Import direction (DESIGN.md "Layout"): handlers -> aws, core; aws -> core; core -> nothing. */
module.exports = {
  forbidden: [
    {
      name: 'core-is-pure',
      comment: 'functions/core imports no AWS SDK, no middy, no Powertools, and nothing outside core',
      severity: 'error',
      from: { path: '^functions/core/' },
      to: {
        path: '^(functions/(aws|handlers)/|local/|lib/|bin/|node_modules/(@aws-sdk|@smithy|@middy|@aws-lambda-powertools)/)',
      },
    },
    {
      name: 'core-no-io-builtins',
      severity: 'error',
      from: { path: '^functions/core/' },
      to: { dependencyTypes: ['core'], path: '^(fs|node:fs|child_process|node:child_process|net|node:net|http|node:http|https|node:https)$' },
    },
    {
      name: 'aws-adapters-point-at-core',
      comment: 'functions/aws depends on core types only, never on handlers, local or lib',
      severity: 'error',
      from: { path: '^functions/aws/' },
      to: { path: '^(functions/handlers/|local/|lib/|bin/|node_modules/@middy/)' },
    },
    {
      name: 'handlers-not-on-local-or-lib',
      severity: 'error',
      from: { path: '^functions/handlers/' },
      to: { path: '^(local/|lib/|bin/|test/)' },
    },
    {
      name: 'handlers-not-on-each-other',
      comment: 'one file per Lambda: a handler imports shared/ helpers, never another handler',
      severity: 'error',
      from: { path: '^functions/handlers/([^/]+)\\.ts$' },
      to: { path: '^functions/handlers/[^/]+\\.ts$' },
    },
    {
      name: 'run-time-code-not-on-the-config-schema',
      comment:
        'handlers read the configuration the synth validated (shared/env.ts bundledConfig); a value import of core/config.ts would put the whole schema into every Lambda bundle (DESIGN.md cold-start budget). Import its types, and patterns.ts / services.ts for the rest.',
      severity: 'error',
      from: { path: '^functions/', pathNot: '^functions/core/config\\.ts$' },
      to: { path: '^functions/core/config\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'handlers-store-only-through-shared-store',
      comment: '@aws-sdk/lib-dynamodb is not side-effect free: only shared/store.ts (and the adapters it builds) may import it, so a handler without a store does not bundle it',
      severity: 'error',
      from: { path: '^functions/handlers/', pathNot: '^functions/handlers/shared/store\\.ts$' },
      to: { path: 'node_modules/@aws-sdk/lib-dynamodb/' },
    },
    {
      name: 'lib-only-imports-the-config-schema',
      comment: 'lib/ (CDK) never imports functions/ code except the config schema and the shared budgets (metric names, longest run)',
      severity: 'error',
      from: { path: '^lib/' },
      to: { path: '^functions/', pathNot: '^functions/core/(config|errors|validation|budgets|plan|model)\\.ts$' },
    },
    {
      name: 'production-code-not-on-tests',
      severity: 'error',
      from: { path: '^(functions|lib|cli|local|bin)/' },
      to: { path: '^test/' },
    },
    {
      name: 'runner-through-its-index',
      comment: 'local/runner/ is one module with one public surface: from outside, import local/runner/index.ts, never a part of it',
      severity: 'error',
      from: { pathNot: '^local/runner/' },
      to: { path: '^local/runner/', pathNot: '^local/runner/index\\.ts$' },
    },
    {
      name: 'rehearsal-not-on-the-cli',
      comment: 'local/ is the rehearsal runtime; the command line (cli/) calls into it, never the other way',
      severity: 'error',
      from: { path: '^local/' },
      to: { path: '^cli/' },
    },
    {
      name: 'operator-commands-not-on-the-rehearsal',
      comment: 'the operator commands talk to a deployed control plane through functions/aws; only simulate.ts (and the parser that dispatches to it) runs the rehearsal. Shared text formatting from local/report/ is allowed.',
      severity: 'error',
      from: { path: '^cli/', pathNot: '^cli/(simulate|main)\\.ts$' },
      to: { path: '^local/', pathNot: '^local/report/' },
    },
    {
      name: 'no-circular',
      comment: 'no import cycle at run time (a cycle through a type-only import, erased by the compiler, is fine)',
      severity: 'error',
      from: { path: '^(functions|lib|bin|cli|local)/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
  },
};
