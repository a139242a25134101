/**
 * After every test: a call the policy check denied fails the test, even if the code under test caught the
 * AccessDeniedException (as the callback's "grant in use" check once did).
 */
import { afterEach } from 'vitest';
import { takeDenials } from './policy-check.js';

afterEach(() => {
  const denials = takeDenials();
  if (denials.length === 0) return;
  const lines = denials.map(
    ({ functionName, command, request }) =>
      `${functionName}: ${command} needs ${request.action} on ${request.resource}` +
      (request.context && Object.keys(request.context).length
        ? ` with ${JSON.stringify(request.context)}`
        : ''),
  );
  throw new Error(`the synthesized stack's IAM policies deny calls this test made:\n${lines.join('\n')}`);
});
