import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-dynamodb';
import type { ConnectionKey } from '../../shared/store/connection-store.js';

export type DynamoFaultPlan = {
  /** Share of request attempts DynamoDB throttles; the SDK's own retries see them, as in production. */
  throttleAttempts?: number;
  /** Calls throttled on every attempt, so the error outlasts the SDK's retries and reaches the service. */
  throttleCalls?: {
    /** The operations it picks from; default all. */
    operations?: readonly DynamoOperation[];
    /** A (seeded) random share of those calls … */
    share?: number;
    /** … or every n-th of them. */
    every?: number;
  };
  /** Share of refresh-lease writes refused as a conditional failure, as if another refresher held the lease. */
  refuseLeases?: number;
  /** Share of refresh compare-and-swap writes that lose to a real write made just before them. */
  competeWithSaves?: number;
  /** The competing write (e.g. the user reconnecting), for `competeWithSaves`. */
  competingWrite?: (key: ConnectionKey) => Promise<void>;
};

/** What the refresh path writes, told apart by the condition each write carries. */
export type DynamoOperation = 'query' | 'get' | 'lease' | 'save_refreshed' | 'other_update' | 'other';

/**
 * DynamoDB faults as middleware on a client the service is given (`DepsOverrides.dynamoClient`). Throttling is
 * thrown inside the SDK's retry loop, before the request is sent, so nothing is written and the SDK retries it
 * exactly as it would a real ProvisionedThroughputExceededException. Every choice comes from `random` (seeded).
 */
export class DynamoFaults {
  enabled = true;
  readonly injected = {
    throttledAttempts: 0,
    /** Calls whose throttling reached the service, by operation. */
    throttledCalls: new Map<DynamoOperation, number>(),
    refusedLeases: 0,
    competedSaves: 0,
  };
  readonly #plan: DynamoFaultPlan;
  readonly #random: () => number;
  readonly #doomed = new WeakSet<object>();
  #eligibleCalls = 0;

  constructor(plan: DynamoFaultPlan, random: () => number) {
    this.#plan = plan;
    this.#random = random;
  }

  attach(client: DynamoDBClient): DynamoDBClient {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (!this.enabled) return next(args);
        const input = args.input as Record<string, unknown>;
        const operation = operationOf(context.commandName, input);
        const plan = this.#plan;
        if (this.#throttlesCall(operation)) {
          this.#doomed.add(context);
          this.injected.throttledCalls.set(operation, (this.injected.throttledCalls.get(operation) ?? 0) + 1);
        }
        if (operation === 'lease' && plan.refuseLeases && this.#random() < plan.refuseLeases) {
          this.injected.refusedLeases++;
          throw new ConditionalCheckFailedException({
            message: 'The conditional request failed',
            $metadata: { httpStatusCode: 400 },
          });
        }
        if (
          operation === 'save_refreshed' &&
          plan.competingWrite &&
          plan.competeWithSaves &&
          this.#random() < plan.competeWithSaves
        ) {
          this.injected.competedSaves++;
          await plan.competingWrite(keyOf(input));
        }
        return next(args);
      },
      { step: 'initialize', name: 'benchFaultsPerCall' },
    );
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (!this.enabled) return next(args);
        const attemptThrottled =
          this.#plan.throttleAttempts !== undefined && this.#random() < this.#plan.throttleAttempts;
        if (this.#doomed.has(context) || attemptThrottled) {
          if (attemptThrottled) this.injected.throttledAttempts++;
          throw new ProvisionedThroughputExceededException({
            message: 'The level of configured provisioned throughput for the table was exceeded.',
            $metadata: { httpStatusCode: 400 },
          });
        }
        return next(args);
      },
      // Inside the retry middleware (finalizeRequest step): each attempt passes here.
      { step: 'deserialize', name: 'benchFaultsPerAttempt' },
    );
    return client;
  }

  #throttlesCall(operation: DynamoOperation): boolean {
    const throttling = this.#plan.throttleCalls;
    if (!throttling || !(throttling.operations?.includes(operation) ?? true)) return false;
    this.#eligibleCalls++;
    if (throttling.every !== undefined) return this.#eligibleCalls % throttling.every === 0;
    return throttling.share !== undefined && this.#random() < throttling.share;
  }

  throttledCallsSummary(): string {
    const parts = [...this.injected.throttledCalls].map(([operation, n]) => `${n} ${operation}`);
    return parts.length > 0 ? parts.join(', ') : 'none';
  }
}

function operationOf(commandName: string | undefined, input: Record<string, unknown>): DynamoOperation {
  if (commandName === 'QueryCommand') return 'query';
  if (commandName === 'GetItemCommand') return 'get';
  if (commandName !== 'UpdateItemCommand') return 'other';
  const condition = typeof input.ConditionExpression === 'string' ? input.ConditionExpression : '';
  if (condition.includes('leaseExpiresAt')) return 'lease';
  if (condition.includes(':expectedVersion') && condition.includes('leaseOwner')) return 'save_refreshed';
  return 'other_update';
}

function keyOf(input: Record<string, unknown>): ConnectionKey {
  const key = input.Key as { pk?: { S?: string }; sk?: { S?: string } } | undefined;
  return {
    appUser: (key?.pk?.S ?? '').slice('USER#'.length),
    openId: (key?.sk?.S ?? '').slice('TIKTOK#'.length),
  };
}
