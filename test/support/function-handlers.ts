/**
 * The handler of any function of the stack, run as that function: the entry module the stack deploys
 * (`functions/<name>.ts`, as the synthesized stack records it) names the `build…Handler` it wires; the harness
 * builds that handler from the function's own deps (`service.depsOf`), so each AWS call is checked against the
 * function's role. A new function of the stack is covered without registering it anywhere; an entry shaped
 * differently, or a name the stack does not have, fails loudly.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import type { ServiceDeps } from '../../shared/deps.js';
import { deployedPolicies } from './iam/policy-check.js';
import type { StackPolicies } from './iam/stack-policies.js';
import type { TestService } from './service.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export type FunctionHandler = (event: unknown, context: Context) => Promise<unknown>;
type HandlerBuilder = (deps: ServiceDeps) => FunctionHandler;

const builders = new Map<string, Promise<HandlerBuilder>>();

/** The `build…Handler` that a function's entry module wires (`export const handler = buildXHandler(...)`). */
export function handlerBuilderOf(functionName: string): Promise<HandlerBuilder> {
  const role = deployedPolicies().functions[functionName];
  if (!role) throw new Error(`${functionName} is not a function of the synthesized stack`);
  let builder = builders.get(role.entry);
  if (!builder) {
    builder = importBuilder(role.entry);
    builders.set(role.entry, builder);
  }
  return builder;
}

async function importBuilder(entry: string): Promise<HandlerBuilder> {
  const path = resolve(ROOT, entry);
  const source = readFileSync(path, 'utf8');
  const name = /export const handler = (\w+)\(/.exec(source)?.[1];
  const from = name && new RegExp(`import \\{[^}]*\\b${name}\\b[^}]*\\} from '([^']+)'`).exec(source)?.[1];
  if (!name || !from) {
    throw new Error(
      `${entry}: the policy harness expects \`export const handler = buildXHandler(createDepsFromEnv(...))\` ` +
        'with buildXHandler imported by name',
    );
  }
  const module = (await import(
    pathToFileURL(resolve(dirname(path), from.replace(/\.js$/, '.ts'))).href
  )) as Record<string, unknown>;
  const builder = module[name];
  if (typeof builder !== 'function') throw new Error(`${from} exports no function ${name}`);
  return builder as HandlerBuilder;
}

/**
 * The handler of `functionName` as deployed, on the function's own deps (`adapt` may swap parts of them, e.g.
 * a store that fails). `policies` checks against a variant of the stack's policies instead.
 */
export async function handlerOf(
  service: TestService,
  functionName: string,
  options: { adapt?: (deps: ServiceDeps) => ServiceDeps; policies?: StackPolicies } = {},
): Promise<FunctionHandler> {
  const build = await handlerBuilderOf(functionName);
  const deps = service.depsOf(functionName, options.policies ? { policies: options.policies } : {});
  return build(options.adapt ? options.adapt(deps) : deps);
}
