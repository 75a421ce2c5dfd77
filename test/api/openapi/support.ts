import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';

type FormatsPlugin = (ajv: Ajv2020) => Ajv2020;
// ajv-formats is CommonJS: under NodeNext its plugin arrives as the module's `default`.
const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ??
  addFormatsModule) as FormatsPlugin;

interface DocResponse {
  content?: Record<string, { schema?: object }>;
  headers?: Record<string, unknown>;
}
interface OpenApiDoc {
  paths: Record<string, Record<string, { responses: Record<string, DocResponse> }>>;
}

export interface AnswerChecking extends TestApp {
  /**
   * Calls a route and fails unless its answer is the one the OpenAPI document promises: the
   * status is listed for the route (itself, its range or `default`), the Content-Type and body match the listed schema (OpenAPI
   * 3.1 is JSON Schema 2020-12), listed headers are present, and the response schema dropped
   * or reshaped nothing the handler answered.
   */
  call(options: InjectOptions & { method: string; url: string }): Promise<LightMyRequestResponse>;
}

function operationOf(doc: OpenApiDoc, method: string, url: string) {
  const path = url.split('?')[0] ?? url;
  // Literal paths first: `/api/contacts/import` before `/api/contacts/{id}`.
  const templates = Object.keys(doc.paths).sort((a, b) => a.split('{').length - b.split('{').length);
  for (const template of templates) {
    const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    const operation = doc.paths[template]?.[method.toLowerCase()];
    if (pattern.test(path) && operation) return { template, operation };
  }
  return null;
}

/**
 * A test app whose every `call` is checked against its own OpenAPI document; `addRoutes` may
 * add routes of the test's own before the app is ready.
 */
export async function createAnswerCheckingApp(
  env: Record<string, string> = {},
  addRoutes?: (app: FastifyInstance) => void,
): Promise<AnswerChecking> {
  // What the handler answered, before the response schema serialised it.
  const answered: unknown[] = [];
  const t = await createTestApp(env, {
    beforeReady(app) {
      app.addHook('preSerialization', async (_request, _reply, value) => {
        answered.push(value);
        return value;
      });
      addRoutes?.(app);
    },
  });
  const doc = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json() as OpenApiDoc;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addFormat('binary', true);

  async function call(options: InjectOptions & { method: string; url: string }) {
    answered.length = 0;
    const res = await t.app.inject(options);
    const where = `${options.method} ${options.url.slice(0, 80)} → ${res.statusCode}`;
    const found = operationOf(doc, options.method, options.url);
    expect(found, `${where}: the route is not in the document`).not.toBeNull();
    // OpenAPI: the status's own answer, else its range's (`2XX`), else `default`.
    const responses = found?.operation.responses ?? {};
    const response =
      responses[String(res.statusCode)] ?? responses[`${String(res.statusCode)[0]}XX`] ?? responses.default;
    expect(response, `${where}: the status is not listed for ${found?.template}`).toBeDefined();
    if (!response) return res;
    for (const header of Object.keys(response.headers ?? {}))
      expect(res.headers[header.toLowerCase()], `${where}: header ${header}`).toBeDefined();
    if (!response.content) {
      expect(res.body, `${where}: the document lists no body`).toBe('');
      return res;
    }
    const type = String(res.headers['content-type'] ?? '').split(';')[0] ?? '';
    expect(Object.keys(response.content), `${where}: Content-Type`).toContain(type);
    if (type !== 'application/json') return res;
    const body = res.json();
    const validate = ajv.compile(response.content[type]?.schema ?? {});
    expect(validate(body) ? [] : validate.errors, `${where}: the body does not match its schema`).toEqual([]);
    if (answered.length) {
      const natural = JSON.parse(JSON.stringify(answered[0])) as unknown;
      expect(body, `${where}: the response schema dropped or reshaped fields`).toEqual(natural);
    }
    return res;
  }

  return { ...t, call };
}
