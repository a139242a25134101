import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { expect } from 'vitest';
import type { HttpAnswer } from './connect-driver.js';

/** A JSON Schema 2020-12 validator that also checks formats (date-time, uri, …). */
export function createValidator(options: { strict: boolean }): Ajv2020 {
  const ajv = new Ajv2020({ strict: options.strict, allErrors: true });
  // ajv-formats is CommonJS: under NodeNext its plugin is the `default` export's `default`.
  ajvFormats.default(ajv);
  return ajv;
}

const DOCUMENT_ID = 'urn:tiktok-connect:openapi';

/** The checked-in contract (a test keeps it equal to what `npm run openapi` generates). */
export const openApiDocument = JSON.parse(
  readFileSync(resolve(import.meta.dirname, '../../openapi.json'), 'utf8'),
) as OpenApiDocument;

type OpenApiDocument = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
};
type Operation = { responses: Record<string, ResponseObject> };
type ResponseObject = {
  headers?: Record<string, { required?: boolean }>;
  content?: Record<string, { schema: unknown }>;
};

/**
 * Response checking: the whole document is registered once (non-strict, since OpenAPI's own keys are not JSON
 * Schema keywords), and each response schema is compiled as a reference into it, so its `$ref`s resolve.
 */
const ajv = createValidator({ strict: false });
ajv.addSchema(openApiDocument as object, DOCUMENT_ID);

const validators = new Map<string, ReturnType<typeof ajv.compile>>();

/** What is wrong with a real answer, measured against the documented operation `method path`; [] if nothing. */
export function contractViolations(method: string, path: string, answer: HttpAnswer): string[] {
  const operation = openApiDocument.paths[path]?.[method.toLowerCase()];
  if (!operation) return [`${method} ${path} is not in openapi.json`];
  const status = String(answer.statusCode);
  const documented = operation.responses[status];
  if (!documented) return [`${method} ${path} does not document status ${status}`];
  const problems: string[] = [];
  const headers = Object.fromEntries(Object.entries(answer.headers).map(([k, v]) => [k.toLowerCase(), v]));
  for (const [name, header] of Object.entries(documented.headers ?? {})) {
    if (header.required && headers[name.toLowerCase()] === undefined) {
      problems.push(`status ${status} lacks the ${name} header`);
    }
  }
  if (!documented.content) return problems;
  const mediaType = String(headers['content-type'] ?? '')
    .split(';')[0]
    ?.trim();
  if (!mediaType || !documented.content[mediaType]) {
    return [
      ...problems,
      `status ${status} is documented as ${Object.keys(documented.content)}, not ${mediaType}`,
    ];
  }
  const pointer = ['paths', path, method.toLowerCase(), 'responses', status, 'content', mediaType, 'schema']
    .map((segment) => segment.replace(/~/g, '~0').replace(/\//g, '~1'))
    .join('/');
  const ref = `${DOCUMENT_ID}#/${pointer}`;
  let validate = validators.get(ref);
  if (!validate) {
    validate = ajv.compile({ $ref: ref });
    validators.set(ref, validate);
  }
  if (!validate(JSON.parse(answer.body ?? 'null'))) {
    problems.push(...(validate.errors ?? []).map((e) => `body${e.instancePath} ${e.message}`));
  }
  return problems;
}

export function expectContract(method: string, path: string, answer: HttpAnswer): void {
  expect(contractViolations(method, path, answer), `${method} ${path} → ${answer.statusCode}`).toEqual([]);
}
