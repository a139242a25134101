/**
 * The stack's policies for the harness, synthesized once per change of the code that shapes them: synthesis
 * (even without bundling) takes seconds, so the result is cached on disk under a hash of infra/, shared/,
 * cdk.json and the harness's own reading of templates.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Template } from 'aws-cdk-lib/assertions';
import type { Construct } from 'constructs';
import { ServiceFunction } from '../../../infra/service-function.js';
import type { TikTokConnectStack, TikTokConnectStackProps } from '../../../infra/tiktok-connect-stack.js';
import { type StackPolicies, stackPolicies } from './stack-policies.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const INPUTS = [
  'infra',
  'shared',
  'cdk.json',
  'test/support/iam/stack-policies.ts',
  'test/infra/synthesize.ts',
];

/** The policies of a synthesized stack; `template` may be a variant of the stack's own (a grant taken out). */
export function policiesOfStack(
  stack: TikTokConnectStack,
  template: ReturnType<Template['toJSON']>,
): StackPolicies {
  const logicalId = (construct: Construct) =>
    stack.getLogicalId(construct.node.defaultChild as Parameters<typeof stack.getLogicalId>[0]);
  const functions = stack.node.children
    .filter((child): child is ServiceFunction => child instanceof ServiceFunction)
    .map((fn) => ({ name: fn.node.id, entry: fn.entry, roleLogicalId: logicalId(fn.role) }));
  return stackPolicies(template as Parameters<typeof stackPolicies>[0], functions, {
    table: logicalId(stack.table),
    tokenKey: logicalId(stack.tokenKey),
    clientSecret: logicalId(stack.clientSecret),
    eventBus: logicalId(stack.eventBus),
    refreshQueue: logicalId(stack.refreshQueue),
  });
}

/**
 * The stacks the tests run against, by name: the deployed one, and variants for tests that configure the
 * service as only a differently configured stack would (each test service names its variant).
 */
export const STACK_VARIANTS = {
  deployed: {},
  'display-cache': { displayCacheSeconds: 30 },
} as const satisfies Record<string, Partial<TikTokConnectStackProps>>;

export type StackVariant = keyof typeof STACK_VARIANTS;

/** Writes every variant's policies to the cache (if not there yet) and returns the file's path. */
export async function cachedStackPoliciesFile(): Promise<string> {
  const hash = createHash('sha256');
  for (const input of INPUTS) hashTree(hash, join(ROOT, input));
  const dir = join(ROOT, 'node_modules', '.cache', 'tiktok-connect-iam');
  const file = join(dir, `${hash.digest('hex').slice(0, 16)}.json`);
  if (existsSync(file)) return file;
  // Imported late: only a cache miss pays for loading the CDK. One app holds every variant (one synthesis).
  const [{ App }, { Template }, { CDK_JSON_CONTEXT, SETTINGS }, { TikTokConnectStack }] = await Promise.all([
    import('aws-cdk-lib'),
    import('aws-cdk-lib/assertions'),
    import('../../infra/synthesize.js'),
    import('../../../infra/tiktok-connect-stack.js'),
  ]);
  const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const stacks = Object.entries(STACK_VARIANTS).map(
    ([variant, props], i) =>
      [
        variant,
        new TikTokConnectStack(app, i === 0 ? 'TikTokConnect' : `TikTokConnect${i}`, {
          ...SETTINGS,
          ...props,
        }),
      ] as const,
  );
  const policies = Object.fromEntries(
    stacks.map(([variant, stack]) => [variant, policiesOfStack(stack, Template.fromStack(stack).toJSON())]),
  );
  mkdirSync(dir, { recursive: true });
  // Written whole, then renamed: a concurrent run never reads half a file.
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, JSON.stringify(policies));
  renameSync(partial, file);
  return file;
}

function hashTree(hash: ReturnType<typeof createHash>, path: string): void {
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path).sort()) hashTree(hash, join(path, name));
    return;
  }
  hash.update(path).update(readFileSync(path));
}
