/**
 * The policy check on the tests' AWS SDK clients: a middleware evaluates every command against the statements of
 * the role of the function the client belongs to, in the synthesized stack, before the command leaves the
 * process. A denial throws an AccessDeniedException like AWS's and is recorded, so the test fails even where the
 * code swallows the error (policy-check-setup.ts checks after each test). Allowed requests are written down for
 * the unused-permissions report.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { type ResourceMap, requestsOf } from './aws-requests.js';
import { type AwsRequest, evaluate } from './policy-evaluator.js';
import type { StackPolicies } from './stack-policies.js';
import type { StackVariant } from './synthesized-policies.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** JSON of the StackPolicies of each stack variant (written by the global setup). */
    stackPoliciesFile: string;
    /** Where each test process writes down the requests it saw allowed (one JSON line each). */
    exercisedPermissionsDir: string;
  }
}

export type Denial = { functionName: string; command: string; request: AwsRequest; reason: string };

/** A request one function of a stack variant made and its policy allowed, as the report reads it back. */
export type ExercisedPermission = { variant: string; functionName: string; request: AwsRequest };

let stackPolicies: Record<string, StackPolicies> | undefined;
const denials: Denial[] = [];
const written = new Set<string>();

/** The synthesized stack's policies, or a variant's (read once per test process). */
export function deployedPolicies(variant: StackVariant = 'deployed'): StackPolicies {
  stackPolicies ??= JSON.parse(readFileSync(inject('stackPoliciesFile'), 'utf8')) as Record<
    string,
    StackPolicies
  >;
  const { synthesisError } = stackPolicies as { synthesisError?: string };
  if (synthesisError) {
    throw new Error(`the stack does not synthesize, so no function can be checked: ${synthesisError}`);
  }
  const policies = stackPolicies[variant];
  if (!policies) throw new Error(`no stack variant ${variant} was synthesized (see STACK_VARIANTS)`);
  return policies;
}

/** The construct ids of every function of the stack. */
export function stackFunctionNames(): string[] {
  return Object.keys(deployedPolicies().functions);
}

/** Denials since the last call, which are then forgotten (for tests that expect one). */
export function takeDenials(): Denial[] {
  return denials.splice(0);
}

type MiddlewareClient = {
  middlewareStack: {
    add: (
      middleware: (
        next: (args: { input: Record<string, unknown> }) => Promise<unknown>,
        context: { clientName?: string; commandName?: string },
      ) => (args: { input: Record<string, unknown> }) => Promise<unknown>,
      options: { step: 'initialize'; name: string; priority: 'high' },
    ) => void;
  };
};

export type ClientScope = {
  /** The function (construct id in the stack) whose role the client's calls are made with. */
  functionName: string;
  resources: ResourceMap;
  /** The stack variant the function belongs to. @default 'deployed' */
  variant?: StackVariant;
  /** Other policies than the variant's (a grant removed): checked, but not reported as exercised. */
  policies?: StackPolicies | undefined;
};

/** Puts the policy check on an SDK v3 client: every command it sends is made as `scope.functionName`. */
export function guardClient<T extends object>(client: T, scope: ClientScope): T {
  const variant = scope.variant ?? 'deployed';
  const policies = scope.policies ?? deployedPolicies(variant);
  const role = policies.functions[scope.functionName];
  if (!role) {
    throw new Error(
      `${scope.functionName} is not a function of the synthesized stack (${Object.keys(policies.functions).join(', ')})`,
    );
  }
  (client as unknown as MiddlewareClient).middlewareStack.add(
    (next, context) => async (args) => {
      const command = `${context.clientName ?? '?'} ${context.commandName ?? '?'}`;
      for (const request of requestsOf(
        context.clientName ?? '',
        context.commandName ?? '',
        args.input,
        scope.resources,
      )) {
        const decision = evaluate(role.statements, request);
        if (!decision.allowed) {
          const denial = { functionName: scope.functionName, command, request, reason: decision.reason };
          denials.push(denial);
          throw accessDenied(denial);
        }
        if (!scope.policies) recordExercised({ variant, functionName: scope.functionName, request });
      }
      return next(args);
    },
    { step: 'initialize', name: 'iamPolicyCheck', priority: 'high' },
  );
  return client;
}

function accessDenied(denial: Denial): Error {
  const { functionName, request, reason } = denial;
  const why =
    reason === 'explicit-deny'
      ? 'with an explicit deny in an identity-based policy'
      : `because no identity-based policy allows the ${request.action} action`;
  const error = new Error(
    `User: arn:aws:sts::123456789012:assumed-role/${functionName}Role/${functionName} is not authorized to ` +
      `perform: ${request.action} on resource: ${request.resource} ${why}` +
      (request.context && Object.keys(request.context).length
        ? ` (context ${JSON.stringify(request.context)})`
        : ''),
  );
  return Object.assign(error, {
    name: 'AccessDeniedException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });
}

function recordExercised(permission: ExercisedPermission): void {
  const line = JSON.stringify(permission);
  if (written.has(line)) return;
  written.add(line);
  appendFileSync(join(inject('exercisedPermissionsDir'), `${process.pid}.jsonl`), `${line}\n`);
}

/** Denials recorded so far and not taken; the setup file fails the test on any. */
export function pendingDenials(): readonly Denial[] {
  return denials;
}
