import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Item } from './attributes.js';

export type UpdateParts = {
  UpdateExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, AttributeValue>;
};

/**
 * Builds `SET … REMOVE …` with placeholder names for every attribute (so reserved words like `status`, `ttl` or
 * `version` need no special care). `bumpVersion` adds `version = version + 1` in the same write.
 */
export function updateExpression(input: {
  set?: Item;
  remove?: readonly string[];
  bumpVersion?: boolean;
  /** Extra values the condition expression uses (`:name` keys). */
  conditionValues?: Item;
  /** Extra names the condition expression uses (`#name` keys). */
  conditionNames?: Record<string, string>;
}): UpdateParts {
  const names: Record<string, string> = { ...input.conditionNames };
  const values: Record<string, AttributeValue> = { ...input.conditionValues };
  const sets = Object.entries(input.set ?? {}).map(([name, value], i) => {
    names[`#s${i}`] = name;
    values[`:s${i}`] = value;
    return `#s${i} = :s${i}`;
  });
  if (input.bumpVersion) {
    names['#version'] = 'version';
    values[':versionStep'] = { N: '1' };
    values[':versionZero'] = { N: '0' };
    sets.push('#version = if_not_exists(#version, :versionZero) + :versionStep');
  }
  const removes = (input.remove ?? []).map((name, i) => {
    names[`#r${i}`] = name;
    return `#r${i}`;
  });
  const clauses = [
    sets.length ? `SET ${sets.join(', ')}` : '',
    removes.length ? `REMOVE ${removes.join(', ')}` : '',
  ];
  return {
    UpdateExpression: clauses.filter(Boolean).join(' '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}
