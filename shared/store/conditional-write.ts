import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';

/** DynamoDB refused the write because its condition did not hold (someone else got there first). */
export const CONDITION_FAILED = Symbol('condition failed');

/** A conditional write whose refusal is an expected outcome, not an error. */
export async function ifConditionHolds<T>(write: Promise<T>): Promise<T | typeof CONDITION_FAILED> {
  try {
    return await write;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return CONDITION_FAILED;
    throw error;
  }
}
