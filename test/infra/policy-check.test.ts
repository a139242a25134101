/**
 * The policy check itself, end to end: a stack without a grant a handler needs fails that handler's test; every
 * function of the stack is reachable by the harness; a function the stack does not have fails loudly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpApiEvent, lambdaContext } from '../support/api-events.js';
import { connectDriver, type HttpAnswer, outcomeOf } from '../support/connect-driver.js';
import { handlerBuilderOf, handlerOf } from '../support/function-handlers.js';
import { stackFunctionNames, takeDenials } from '../support/iam/policy-check.js';
import type { StackPolicies } from '../support/iam/stack-policies.js';
import { policiesOfStack } from '../support/iam/synthesized-policies.js';
import { startTestService, type TestService } from '../support/service.js';
import { SETTINGS, type Statement, synthesize } from './synthesize.js';

let service: TestService;
let withoutQuery: StackPolicies;

beforeAll(async () => {
  service = await startTestService();
  // The stack as it was before the fix: the callback's role without Query on ByOpenId.
  const { stack, template, logicalId, serviceFunction } = synthesize(SETTINGS, { bundle: false, nag: false });
  const json = structuredClone(template.toJSON()) as {
    Resources: Record<
      string,
      { Type: string; Properties: { Roles?: unknown; PolicyDocument?: { Statement: Statement[] } } }
    >;
  };
  const roleRef = JSON.stringify([{ Ref: logicalId(serviceFunction('CallbackFunction').role) }]);
  let removed = 0;
  for (const resource of Object.values(json.Resources)) {
    if (resource.Type !== 'AWS::IAM::Policy' || JSON.stringify(resource.Properties.Roles) !== roleRef)
      continue;
    const document = resource.Properties.PolicyDocument as { Statement: Statement[] };
    const kept = document.Statement.filter((statement) => statement.Action !== 'dynamodb:Query');
    removed += document.Statement.length - kept.length;
    document.Statement = kept;
  }
  expect(removed).toBe(1);
  withoutQuery = policiesOfStack(stack, json);
});
afterAll(async () => {
  await service.close();
});

/** A reconnect of an account connected before whose user info fails: the callback looks for other users. */
async function failingReconnect(appUser: string, policies?: StackPolicies) {
  const driver = connectDriver(service);
  const first = await driver.begin({ sub: appUser });
  const consented = driver.consent(first.authorizeUrl, { userIndex: 1 });
  // The callback keeps the result pending; the user's confirm stores the connection.
  expect(await driver.confirmCallback(await driver.callback(consented.query, first.cookies), appUser)).toBe(
    consented.user.openId,
  );
  const again = await driver.begin({ sub: appUser });
  service.emulator.faults.push({ endpoint: 'user_info', kind: 'http_500' });
  const consent = driver.consent(again.authorizeUrl, { userIndex: 1 });
  const callback = await handlerOf(service, 'CallbackFunction', policies ? { policies } : {});
  const event = httpApiEvent({ path: '/auth/tiktok/callback', query: consent.query, cookies: again.cookies });
  return (await callback(event, lambdaContext)) as HttpAnswer;
}

describe('the policy check on the handlers’ AWS calls', () => {
  it('fails the callback’s test when the stack takes away its Query on ByOpenId, though the callback swallows the error', async () => {
    const answer = await failingReconnect('policy-variant-user', withoutQuery);
    // The handler answers as if nothing were wrong...
    expect(outcomeOf(answer).reason).toBe('tiktok_unavailable');
    // ...but the denial is on record, and the after-each check would fail the test with it.
    const denials = takeDenials();
    expect(
      denials.map(({ functionName, request }) => `${functionName} ${request.action} ${request.resource}`),
    ).toEqual([
      expect.stringMatching(
        /^CallbackFunction dynamodb:Query arn:aws:dynamodb:.*:table\/.*\/index\/ByOpenId$/,
      ),
    ]);
  });

  it('lets the same flow through with the deployed stack’s policies', async () => {
    const answer = await failingReconnect('policy-deployed-user');
    expect(outcomeOf(answer).reason).toBe('tiktok_unavailable');
    expect(takeDenials()).toEqual([]);
  });

  it.each(stackFunctionNames())('finds the handler %s runs, from its entry module', async (functionName) => {
    expect(typeof (await handlerBuilderOf(functionName))).toBe('function');
  });

  it('refuses to run as a function the stack does not have', () => {
    expect(() => service.depsOf('AnalyticsFunctionNotInTheStack')).toThrow(
      /not a function of the synthesized stack/,
    );
  });
});
