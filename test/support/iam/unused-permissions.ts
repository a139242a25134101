/**
 * The reverse of the policy check: every permission of every function (action × resource of each Allow
 * statement) that no request of the run exercised. Grants nothing in the tests can exercise (the Lambda runtime
 * writing logs, DynamoDB using the table's key on the caller's behalf) are listed apart, as not checkable here.
 */
import { type AwsRequest, type PolicyStatement, statementApplies } from './policy-evaluator.js';
import type { StackPolicies } from './stack-policies.js';

export type ExercisedByFunction = ReadonlyMap<string, readonly AwsRequest[]>;

export type PermissionReport = {
  /** `<function> <action> <resource>` for each grant no test exercised. */
  unused: string[];
  /** The same for grants the tests cannot exercise, with why. */
  notCheckable: string[];
  total: number;
};

export function unusedPermissions(policies: StackPolicies, exercised: ExercisedByFunction): PermissionReport {
  const report: PermissionReport = { unused: [], notCheckable: [], total: 0 };
  for (const [functionName, { statements }] of Object.entries(policies.functions)) {
    const requests = exercised.get(functionName) ?? [];
    for (const statement of statements) {
      if (statement.Effect !== 'Allow') continue;
      for (const action of list(statement.Action)) {
        for (const resource of list(statement.Resource)) {
          report.total += 1;
          const line = `${functionName} ${action} ${resource}`;
          const why = notCheckableReason(statement, action);
          if (why) {
            report.notCheckable.push(`${line}  (${why})`);
            continue;
          }
          const single: PolicyStatement = { ...statement, Action: action, Resource: resource };
          if (!requests.some((request) => statementApplies(single, request))) report.unused.push(line);
        }
      }
    }
  }
  return report;
}

function notCheckableReason(statement: PolicyStatement, action: string): string | undefined {
  if (action.startsWith('logs:')) return 'the Lambda runtime writes the logs, not the code';
  if (JSON.stringify(statement.Condition ?? {}).includes('kms:ViaService')) {
    return 'DynamoDB uses the table key on the caller’s behalf';
  }
  return undefined;
}

function list(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
