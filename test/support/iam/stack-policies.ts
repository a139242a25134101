/**
 * What the policy harness knows of the synthesized stack: every function (construct id), the entry module it
 * runs, and the statements of its role with every CloudFormation intrinsic resolved to a concrete ARN of a
 * stand-in account. The tests' own resources (a random table on DynamoDB Local, the stand-in KMS key...) are
 * mapped onto these ARNs, so a grant on `ConnectionsTable` applies to the test's table.
 */
import type { PolicyStatement } from './policy-evaluator.js';

/** The stand-in deployment the ARNs are made for. */
export const STAND_IN = {
  partition: 'aws',
  region: 'eu-west-1',
  account: '123456789012',
  urlSuffix: 'amazonaws.com',
  stackName: 'TikTokConnect',
} as const;

export type StackResources = {
  tableArn: string;
  tokenKeyArn: string;
  clientSecretArn: string;
  eventBusName: string;
  eventBusArn: string;
  refreshQueueUrl: string;
  refreshQueueArn: string;
};

export type FunctionPolicy = { entry: string; statements: PolicyStatement[] };

export type StackPolicies = {
  functions: Record<string, FunctionPolicy>;
  resources: StackResources;
};

type CfnResource = { Type: string; Properties?: Record<string, unknown> };
type CfnTemplate = { Resources: Record<string, CfnResource> };

/** A function of the stack as the harness needs it: its construct id, entry module and role's logical id. */
export type StackFunction = { name: string; entry: string; roleLogicalId: string };

export function stackPolicies(
  template: CfnTemplate,
  functions: readonly StackFunction[],
  logicalIds: {
    table: string;
    tokenKey: string;
    clientSecret: string;
    eventBus: string;
    refreshQueue: string;
  },
): StackPolicies {
  const resolve = intrinsicResolver(template);
  const policiesOfRole = (roleId: string) =>
    Object.entries(template.Resources).flatMap(([policyId, resource]) => {
      if (resource.Type === 'AWS::IAM::ManagedPolicy' || resource.Type === 'AWS::IAM::Policy') {
        const roles = (resource.Properties?.Roles ?? []) as unknown[];
        if (!roles.some((role) => JSON.stringify(role) === JSON.stringify({ Ref: roleId }))) return [];
        if (resource.Type === 'AWS::IAM::ManagedPolicy') {
          throw new Error(`${policyId}: managed policies are not read by the policy harness yet`);
        }
        return [resource.Properties?.PolicyDocument];
      }
      return [];
    });

  const entries = functions.map(({ name, entry, roleLogicalId }) => {
    const role = template.Resources[roleLogicalId];
    if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${name}: no role ${roleLogicalId} in the template`);
    if ((role.Properties?.ManagedPolicyArns as unknown[] | undefined)?.length) {
      throw new Error(`${name}: its role has managed policies, which the policy harness cannot read`);
    }
    const inline = ((role.Properties?.Policies ?? []) as { PolicyDocument: unknown }[]).map(
      (policy) => policy.PolicyDocument,
    );
    const statements = [...inline, ...policiesOfRole(roleLogicalId)].flatMap(
      (document) => (resolve(document) as { Statement: PolicyStatement[] }).Statement,
    );
    return [name, { entry, statements }] as const;
  });

  const arn = (id: string) => resolve({ 'Fn::GetAtt': [id, 'Arn'] }) as string;
  return {
    functions: Object.fromEntries(entries),
    resources: {
      tableArn: arn(logicalIds.table),
      tokenKeyArn: arn(logicalIds.tokenKey),
      clientSecretArn: resolve({ Ref: logicalIds.clientSecret }) as string,
      eventBusName: resolve({ Ref: logicalIds.eventBus }) as string,
      eventBusArn: arn(logicalIds.eventBus),
      refreshQueueUrl: resolve({ Ref: logicalIds.refreshQueue }) as string,
      refreshQueueArn: arn(logicalIds.refreshQueue),
    },
  };
}

/**
 * Resolves Ref, Fn::GetAtt (Arn and the few name attributes), Fn::Join, Fn::Select and Fn::Split as
 * CloudFormation would in the stand-in account. Any other intrinsic throws: the harness must not guess.
 */
function intrinsicResolver(template: CfnTemplate) {
  const { partition, region, account, urlSuffix, stackName } = STAND_IN;
  const resourceOf = (id: string): CfnResource => {
    const resource = template.Resources[id];
    if (!resource) throw new Error(`the template has no resource ${id}`);
    return resource;
  };
  /** The physical name: the one the template sets, or CloudFormation's `<stack>-<logical id>` style. */
  const nameOf = (id: string, property: string) => {
    const given = resourceOf(id).Properties?.[property];
    return given === undefined ? `${stackName}-${id}` : String(resolve(given));
  };
  /** A stable key id per logical id, shaped like a real one. */
  const keyIdOf = (id: string) => {
    const hex = Buffer.from(id).toString('hex').padEnd(32, '0').slice(0, 32);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  };

  const physical: Record<
    string,
    { ref: (id: string) => string; attributes: Record<string, (id: string) => string> }
  > = {
    'AWS::DynamoDB::Table': {
      ref: (id) => nameOf(id, 'TableName'),
      attributes: {
        Arn: (id) => `arn:${partition}:dynamodb:${region}:${account}:table/${nameOf(id, 'TableName')}`,
      },
    },
    'AWS::KMS::Key': {
      ref: keyIdOf,
      attributes: {
        Arn: (id) => `arn:${partition}:kms:${region}:${account}:key/${keyIdOf(id)}`,
        KeyId: keyIdOf,
      },
    },
    'AWS::SecretsManager::Secret': {
      // Secrets Manager appends six random characters to the name in the ARN.
      ref: (id) => `arn:${partition}:secretsmanager:${region}:${account}:secret:${nameOf(id, 'Name')}-AbCdEf`,
      attributes: {},
    },
    'AWS::Events::EventBus': {
      ref: (id) => nameOf(id, 'Name'),
      attributes: {
        Arn: (id) => `arn:${partition}:events:${region}:${account}:event-bus/${nameOf(id, 'Name')}`,
        Name: (id) => nameOf(id, 'Name'),
      },
    },
    'AWS::SQS::Queue': {
      ref: (id) => `https://sqs.${region}.${urlSuffix}/${account}/${nameOf(id, 'QueueName')}`,
      attributes: {
        Arn: (id) => `arn:${partition}:sqs:${region}:${account}:${nameOf(id, 'QueueName')}`,
        QueueName: (id) => nameOf(id, 'QueueName'),
        QueueUrl: (id) => `https://sqs.${region}.${urlSuffix}/${account}/${nameOf(id, 'QueueName')}`,
      },
    },
    'AWS::Logs::LogGroup': {
      ref: (id) => nameOf(id, 'LogGroupName'),
      attributes: {
        Arn: (id) => `arn:${partition}:logs:${region}:${account}:log-group:${nameOf(id, 'LogGroupName')}:*`,
      },
    },
  };
  const pseudo: Record<string, string> = {
    'AWS::Partition': partition,
    'AWS::Region': region,
    'AWS::AccountId': account,
    'AWS::URLSuffix': urlSuffix,
    'AWS::StackName': stackName,
  };
  const kindOf = (id: string) => {
    const type = resourceOf(id).Type;
    const kind = physical[type];
    if (!kind) throw new Error(`the policy harness cannot name a ${type} (${id}) yet`);
    return kind;
  };

  function resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(resolve);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    const [first] = entries;
    if (entries.length === 1 && first && (first[0] === 'Ref' || first[0].startsWith('Fn::'))) {
      const [fn, args] = first;
      if (fn === 'Ref') {
        const id = String(args);
        return pseudo[id] ?? kindOf(id).ref(id);
      }
      if (fn === 'Fn::GetAtt') {
        const [id, attribute] = (typeof args === 'string' ? args.split('.') : args) as [string, string];
        const get = kindOf(id).attributes[attribute];
        if (!get) throw new Error(`the policy harness cannot resolve ${id}.${attribute}`);
        return get(id);
      }
      if (fn === 'Fn::Join') {
        const [separator, parts] = args as [string, unknown[]];
        return (resolve(parts) as unknown[]).join(separator);
      }
      if (fn === 'Fn::Select') {
        const [index, items] = args as [number, unknown];
        return (resolve(items) as unknown[])[Number(index)];
      }
      if (fn === 'Fn::Split') {
        const [separator, source] = args as [string, unknown];
        return String(resolve(source)).split(separator);
      }
      throw new Error(`the policy harness cannot resolve ${fn}`);
    }
    return Object.fromEntries(entries.map(([key, inner]) => [key, resolve(inner)]));
  }
  return resolve;
}
