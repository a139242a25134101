import { describe, expect, it } from 'vitest';
import { evaluate, type PolicyStatement, wildcardMatch } from './policy-evaluator.js';

const TABLE = 'arn:aws:dynamodb:eu-west-1:123456789012:table/Connections';
const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1111';
const APP_CONTEXT = { StringEquals: { 'kms:EncryptionContext:app': 'tiktok-connect' } };

const allow = (
  Action: string | string[],
  Resource: string | string[],
  Condition?: PolicyStatement['Condition'],
) => ({ Effect: 'Allow', Action, Resource, ...(Condition ? { Condition } : {}) }) as PolicyStatement;

describe('the policy evaluator', () => {
  it('allows an action its statement names on the resource it names', () => {
    const decision = evaluate([allow(['dynamodb:GetItem', 'dynamodb:UpdateItem'], TABLE)], {
      action: 'dynamodb:UpdateItem',
      resource: TABLE,
    });
    expect(decision.allowed).toBe(true);
  });

  it('denies by default: another action, another resource, no statement at all', () => {
    const statements = [allow('dynamodb:GetItem', TABLE)];
    expect(evaluate(statements, { action: 'dynamodb:PutItem', resource: TABLE })).toEqual({
      allowed: false,
      reason: 'implicit-deny',
    });
    expect(evaluate(statements, { action: 'dynamodb:GetItem', resource: `${TABLE}-other` }).allowed).toBe(
      false,
    );
    expect(evaluate([], { action: 'dynamodb:GetItem', resource: TABLE }).allowed).toBe(false);
  });

  it('keeps an index apart from its table: a grant on the table does not cover ByOpenId, nor the other way', () => {
    const index = `${TABLE}/index/ByOpenId`;
    expect(
      evaluate([allow('dynamodb:Query', TABLE)], { action: 'dynamodb:Query', resource: index }).allowed,
    ).toBe(false);
    expect(
      evaluate([allow('dynamodb:Query', index)], { action: 'dynamodb:Query', resource: TABLE }).allowed,
    ).toBe(false);
    expect(
      evaluate([allow('dynamodb:Query', index)], { action: 'dynamodb:Query', resource: index }).allowed,
    ).toBe(true);
    expect(
      evaluate([allow('dynamodb:Query', `${TABLE}/index/*`)], { action: 'dynamodb:Query', resource: index })
        .allowed,
    ).toBe(true);
  });

  it('reads wildcards in actions (case-insensitive) and resources (case-sensitive)', () => {
    expect(
      evaluate([allow('dynamodb:*', TABLE)], { action: 'dynamodb:Query', resource: TABLE }).allowed,
    ).toBe(true);
    expect(
      evaluate([allow('DynamoDB:get*', TABLE)], { action: 'dynamodb:GetItem', resource: TABLE }).allowed,
    ).toBe(true);
    expect(
      evaluate([allow('dynamodb:Get?tem', '*')], { action: 'dynamodb:GetItem', resource: KEY }).allowed,
    ).toBe(true);
    expect(
      evaluate([allow('dynamodb:GetItem', TABLE.toUpperCase())], {
        action: 'dynamodb:GetItem',
        resource: TABLE,
      }).allowed,
    ).toBe(false);
    expect(
      wildcardMatch('arn:aws:sqs:*:123:q.fifo', 'arn:aws:sqs:eu-west-1:123:qxfifo', { ignoreCase: false }),
    ).toBe(false);
  });

  it('honours an explicit Deny over any Allow', () => {
    const statements: PolicyStatement[] = [
      allow('dynamodb:*', TABLE),
      { Effect: 'Deny', Action: 'dynamodb:DeleteItem', Resource: '*' },
    ];
    const decision = evaluate(statements, { action: 'dynamodb:DeleteItem', resource: TABLE });
    expect(decision).toMatchObject({ allowed: false, reason: 'explicit-deny' });
    expect(evaluate(statements, { action: 'dynamodb:GetItem', resource: TABLE }).allowed).toBe(true);
  });

  it('allows KMS only with the encryption context the condition asks for', () => {
    const statements = [allow(['kms:GenerateDataKey', 'kms:Decrypt'], KEY, APP_CONTEXT)];
    const request = (context?: Record<string, string>) => ({ action: 'kms:Decrypt', resource: KEY, context });
    expect(evaluate(statements, request({ 'kms:EncryptionContext:app': 'tiktok-connect' })).allowed).toBe(
      true,
    );
    expect(evaluate(statements, request({ 'kms:EncryptionContext:app': 'other-app' })).allowed).toBe(false);
    expect(evaluate(statements, request()).allowed).toBe(false);
  });

  it('needs every condition key to hold, any of a key’s values to match, and IfExists to pass on a missing key', () => {
    const both = allow('kms:Decrypt', KEY, {
      StringEquals: {
        'kms:EncryptionContext:app': ['tiktok-connect', 'legacy'],
        'kms:ViaService': 'dynamodb.x',
      },
    });
    const onlyApp = { 'kms:EncryptionContext:app': 'legacy' };
    expect(evaluate([both], { action: 'kms:Decrypt', resource: KEY, context: onlyApp }).allowed).toBe(false);
    expect(
      evaluate([both], {
        action: 'kms:Decrypt',
        resource: KEY,
        context: { ...onlyApp, 'kms:ViaService': 'dynamodb.x' },
      }).allowed,
    ).toBe(true);
    const ifExists = allow('kms:Decrypt', KEY, { StringEqualsIfExists: { 'kms:ViaService': 'dynamodb.x' } });
    expect(evaluate([ifExists], { action: 'kms:Decrypt', resource: KEY }).allowed).toBe(true);
    expect(
      evaluate([ifExists], { action: 'kms:Decrypt', resource: KEY, context: { 'kms:ViaService': 'sqs.x' } })
        .allowed,
    ).toBe(false);
  });

  it('refuses to guess at a condition operator it does not know', () => {
    const statement = allow('kms:Decrypt', KEY, { NumericLessThan: { 'aws:MultiFactorAuthAge': '300' } });
    expect(() => evaluate([statement], { action: 'kms:Decrypt', resource: KEY })).toThrow(/NumericLessThan/);
  });
});
