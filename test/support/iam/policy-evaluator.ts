/**
 * IAM policy evaluation for one identity-based policy set, as AWS does it for a same-account request without
 * resource policies, boundaries or SCPs: an explicit Deny wins, then any Allow, otherwise the implicit deny.
 * Only the condition operators the stack uses (and their obvious relatives) are known; any other one throws, so a
 * new kind of grant is taught to the harness rather than silently read as "allowed".
 */

export type ConditionBlock = Record<string, Record<string, string | string[] | boolean>>;

export type PolicyStatement = {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: ConditionBlock;
};

/** One authorisation AWS makes: an action on one resource, with the request's condition keys. */
export type AwsRequest = {
  action: string;
  resource: string;
  /** Condition keys, e.g. `kms:EncryptionContext:app`, `kms:ViaService`. */
  context?: Readonly<Record<string, string>>;
};

export type Decision =
  | { allowed: true; statement: PolicyStatement }
  | { allowed: false; reason: 'explicit-deny'; statement: PolicyStatement }
  | { allowed: false; reason: 'implicit-deny' };

export function evaluate(statements: readonly PolicyStatement[], request: AwsRequest): Decision {
  const matching = statements.filter((statement) => statementApplies(statement, request));
  const deny = matching.find((statement) => statement.Effect === 'Deny');
  if (deny) return { allowed: false, reason: 'explicit-deny', statement: deny };
  const allow = matching.find((statement) => statement.Effect === 'Allow');
  if (allow) return { allowed: true, statement: allow };
  return { allowed: false, reason: 'implicit-deny' };
}

export function statementApplies(statement: PolicyStatement, request: AwsRequest): boolean {
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') {
    throw new Error(`a statement's Effect must be Allow or Deny, not ${String(statement.Effect)}`);
  }
  const actionMatches = (patterns: string | string[]) =>
    list(patterns).some((pattern) => wildcardMatch(pattern, request.action, { ignoreCase: true }));
  const resourceMatches = (patterns: string | string[]) =>
    list(patterns).some((pattern) => wildcardMatch(pattern, request.resource, { ignoreCase: false }));

  if (statement.Action !== undefined) {
    if (!actionMatches(statement.Action)) return false;
  } else if (statement.NotAction !== undefined) {
    if (actionMatches(statement.NotAction)) return false;
  } else {
    throw new Error('a statement has neither Action nor NotAction');
  }
  if (statement.Resource !== undefined) {
    if (!resourceMatches(statement.Resource)) return false;
  } else if (statement.NotResource !== undefined) {
    if (resourceMatches(statement.NotResource)) return false;
  } else {
    throw new Error('a statement has neither Resource nor NotResource');
  }
  return conditionsHold(statement.Condition ?? {}, request.context ?? {});
}

/** Every operator holds (AND); within one, every key holds (AND); a key holds if any of its values does (OR). */
function conditionsHold(block: ConditionBlock, context: Readonly<Record<string, string>>): boolean {
  return Object.entries(block).every(([rawOperator, keys]) => {
    const ifExists = rawOperator.endsWith('IfExists');
    const operator = ifExists ? rawOperator.slice(0, -'IfExists'.length) : rawOperator;
    const test = OPERATORS[operator];
    if (!test) throw new Error(`condition operator ${rawOperator} is not known to the policy harness`);
    return Object.entries(keys).every(([key, expected]) => {
      // Condition keys are case-insensitive; the harness's own keys are written as AWS documents them.
      const present = Object.entries(context).find(([name]) => name.toLowerCase() === key.toLowerCase());
      if (present === undefined) return ifExists || test.negated;
      const values = list(expected).map(String);
      const anyMatch = values.some((value) => test.matches(value, present[1]));
      return test.negated ? !anyMatch : anyMatch;
    });
  });
}

const OPERATORS: Record<
  string,
  { negated: boolean; matches: (expected: string, actual: string) => boolean }
> = {
  StringEquals: { negated: false, matches: (e, a) => e === a },
  StringNotEquals: { negated: true, matches: (e, a) => e === a },
  StringEqualsIgnoreCase: { negated: false, matches: (e, a) => e.toLowerCase() === a.toLowerCase() },
  StringLike: { negated: false, matches: (e, a) => wildcardMatch(e, a, { ignoreCase: false }) },
  StringNotLike: { negated: true, matches: (e, a) => wildcardMatch(e, a, { ignoreCase: false }) },
  ArnEquals: { negated: false, matches: (e, a) => e === a },
  ArnLike: { negated: false, matches: (e, a) => wildcardMatch(e, a, { ignoreCase: false }) },
  Bool: { negated: false, matches: (e, a) => e.toLowerCase() === a.toLowerCase() },
};

/** IAM's `*` (any run, `/` included) and `?` (one character). */
export function wildcardMatch(pattern: string, value: string, options: { ignoreCase: boolean }): boolean {
  const source = pattern
    .split('')
    .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, options.ignoreCase ? 'is' : 's').test(value);
}

function list<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}
