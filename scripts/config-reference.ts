/**
 * Generates docs/configuration.md from the configuration schema itself (functions/core/config.ts):
 * every field with its type, default and allowed values, and the doc comment written next to it.
 * `npm run docs:config` rewrites the file; a test fails when the file and the schema disagree.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as z from 'zod/mini';
import { CutoverConfig } from '../functions/core/config.js';

const CONFIG_SOURCE = fileURLToPath(new URL('../functions/core/config.ts', import.meta.url));
export const REFERENCE_PATH = fileURLToPath(new URL('../docs/configuration.md', import.meta.url));

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema | JsonSchema[];
  prefixItems?: JsonSchema[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
};

/** Doc comments written right above `name:` in config.ts; only names with one meaning are used. */
function docComments(): Map<string, string> {
  const lines = readFileSync(CONFIG_SOURCE, 'utf8').split('\n');
  const seen = new Map<string, Set<string>>();
  let pending: string[] = [];
  let inComment = false;
  for (const line of lines) {
    const t = line.trim();
    if (t.startsWith('/**')) {
      inComment = !t.endsWith('*/');
      pending = [t.replace(/^\/\*\*\s?/, '').replace(/\s?\*\/$/, '')];
      continue;
    }
    if (inComment) {
      if (t.endsWith('*/')) inComment = false;
      pending.push(t.replace(/\s?\*\/$/, '').replace(/^\*\s?/, '')); // the closing */ first: a line of only */ adds nothing
      continue;
    }
    const m = /^([A-Za-z]\w*): /.exec(t);
    if (m?.[1]) {
      // An occurrence without a comment counts as a meaning of its own (so it is never mislabelled).
      const text = pending.join(' ').replace(/\s+/g, ' ').trim();
      const set = seen.get(m[1]) ?? new Set<string>();
      set.add(text);
      seen.set(m[1], set);
    }
    if (t !== '') pending = [];
  }
  const out = new Map<string, string>();
  for (const [name, texts] of seen) if (texts.size === 1 && ![...texts].includes('')) out.set(name, [...texts][0] ?? '');
  return out;
}

const code = (v: unknown) => `\`${JSON.stringify(v)}\``;

function typeOf(s: JsonSchema): string {
  if (s.const !== undefined) return code(s.const);
  if (s.enum) return s.enum.map(code).join(' \\| ');
  const variants = s.anyOf ?? s.oneOf;
  if (variants) return variants.map(typeOf).join(' \\| ');
  if (s.type === 'array') {
    if (s.prefixItems) return `[${s.prefixItems.map(typeOf).join(', ')}]`;
    return `${s.items && !Array.isArray(s.items) ? typeOf(s.items) : 'any'}[]`;
  }
  return Array.isArray(s.type) ? s.type.join(' \\| ') : (s.type ?? 'any');
}

function constraints(s: JsonSchema): string {
  const parts: string[] = [];
  if (s.minimum !== undefined && s.maximum !== undefined) parts.push(`${s.minimum}–${s.maximum}`);
  else if (s.minimum !== undefined) parts.push(`≥ ${s.minimum}`);
  else if (s.maximum !== undefined) parts.push(`≤ ${s.maximum}`);
  if (s.minItems !== undefined) parts.push(`at least ${s.minItems} item(s)`);
  if (s.maxItems !== undefined) parts.push(`at most ${s.maxItems} items`);
  if (s.pattern) parts.push(s.pattern.length > 48 ? (s.pattern.includes(':elasticloadbalancing:') ? 'an ALB ARN of that kind' : s.pattern.includes(':lambda:') ? 'a Lambda function ARN' : 'see functions/core/config.ts') : `pattern \`${s.pattern.replace(/\|/g, '\\|')}\``);
  return parts.join('; ');
}

function rows(s: JsonSchema, path: string, docs: Map<string, string>, out: string[], required: boolean): void {
  const name = path.split(/[.[]/).filter(Boolean).at(-1)?.replace(/\]$/, '') ?? path;
  if (path !== '') {
    const def = s.default === undefined ? (required ? 'required' : 'optional') : code(s.default);
    const shortDef = def.length > 60 ? 'see the fields below' : def;
    out.push(`| \`${path}\` | ${typeOf(s)} | ${shortDef} | ${constraints(s)} | ${docs.get(name) ?? ''} |`);
  }
  if (s.properties) {
    for (const [key, child] of Object.entries(s.properties)) {
      rows(child, path ? `${path}.${key}` : key, docs, out, s.required?.includes(key) ?? false);
    }
  }
  if (s.type === 'array' && s.items && !Array.isArray(s.items)) rows(s.items, `${path}[]`, docs, out, true);
  const variants = s.anyOf ?? s.oneOf;
  if (variants) {
    for (const v of variants) {
      const tag = v.properties?.type?.const;
      if (v.properties) {
        const before = out.length;
        rows({ ...v, default: undefined }, path, docs, out, true);
        if (tag !== undefined) for (let i = before; i < out.length; i++) out[i] = out[i]?.replace(/^\| `/, `| (${String(tag)}) \``) ?? '';
      }
    }
  }
}

export function renderConfigReference(): string {
  const schema = z.toJSONSchema(CutoverConfig, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const out: string[] = [
    '# Configuration reference',
    '',
    '<!-- Generated from functions/core/config.ts by `npm run docs:config`; a test keeps it in step. -->',
    '',
    '`cutover.config.json` (or `npx cdk synth -c config=PATH`) is validated with this schema at synth',
    'time; every Lambda gets the validated file, defaults filled in. Unknown keys are errors. Durations are in seconds.',
    'Rows marked `(canary)`, `(linear)` ... belong to that `strategy.type`.',
    '',
    '| field | type | default | allowed | description |',
    '| --- | --- | --- | --- | --- |',
  ];
  rows(schema, '', docComments(), out, true);
  return `${out.join('\n')}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(REFERENCE_PATH, renderConfigReference());
  console.log(`wrote ${REFERENCE_PATH}`);
}
