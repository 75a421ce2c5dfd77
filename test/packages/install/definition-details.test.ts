import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApp, type TestApp } from '../../support/runtime.js';
import { installTarball } from '../journeys.js';
import { pack, writePackage } from '../support.js';

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
}, 60_000);
afterAll(async () => {
  await t?.close();
});

/** Installs a package of one `<prefix>.shout` node with these extra fields; answers the 422's details. */
const refused = async (prefix: string, node: string) => {
  const res = await installTarball(
    t,
    await pack(writePackage({ name: `${prefix}-nodes`, prefix, version: '1.0.0', node })),
  );
  expect(res.statusCode, res.body).toBe(422);
  expect(res.json().error.code).toBe('invalid_package');
  return res.json().error.details as { path: string; message: string }[];
};

describe("a node's param default its own schema refuses is refused at install, at the default", () => {
  test('a default of another type, where every graph leaving the param out failed', async () => {
    const details = await refused(
      'baddefault',
      "params: { type: 'object', properties: { text: { type: 'string' }, tries: { type: 'integer', default: 'five' } } },",
    );
    expect(details).toEqual([
      {
        path: '/nodes/0/params/properties/tries/default',
        message:
          'baddefault.shout@1: the default of param /tries ("five") does not fit its own schema: must be integer',
      },
    ]);
  });

  test('a default nested in an object or a list item, and one outside an enum', async () => {
    const details = await refused(
      'nesteddefault',
      `params: { type: 'object', properties: {
        retry: { type: 'object', properties: { every: { type: 'string', format: 'duration', default: 'soon' } } },
        rows: { type: 'array', items: { type: 'object', properties: { n: { type: 'integer', minimum: 1, default: 0 } } } },
        mode: { type: 'string', enum: ['a', 'b'], default: 'c' },
      } },`,
    );
    expect(details.map((d) => d.path)).toEqual([
      '/nodes/0/params/properties/retry/properties/every/default',
      '/nodes/0/params/properties/rows/items/properties/n/default',
      '/nodes/0/params/properties/mode/default',
    ]);
    expect(details[1]?.message).toBe(
      'nesteddefault.shout@1: the default of param /rows/*/n (0) does not fit its own schema: must be >= 1',
    );
  });

  test('defaults that fit are installed, and the catalogue keeps them as written', async () => {
    const res = await installTarball(
      t,
      await pack(
        writePackage({
          name: 'gooddefault-nodes',
          prefix: 'gooddefault',
          version: '1.0.0',
          node: "params: { type: 'object', properties: { text: { type: 'string', default: 'hi' }, opts: { type: 'object', properties: { n: { type: 'integer', default: 2 } }, default: {} } } },",
        }),
      ),
    );
    expect(res.statusCode, res.body).toBe(201);
    const nodes = (await t.app.inject({ method: 'GET', url: '/api/nodes', headers: t.auth })).json().nodes as {
      type: string;
      params: { properties: { opts: { default: unknown } } };
    }[];
    expect(nodes.find((n) => n.type === 'gooddefault.shout')?.params.properties.opts.default).toEqual({});
  });
});

describe("a node's problem is at its field, a schema's at the keyword that is not JSON Schema", () => {
  test('a params keyword of the wrong kind: at that keyword', async () => {
    expect(
      await refused(
        'badkeyword',
        "params: { type: 'object', properties: { n: { type: 'integer', minimum: 'five' } } },",
      ),
    ).toEqual([
      {
        path: '/nodes/0/params/properties/n/minimum',
        message: expect.stringMatching(/^badkeyword\.shout@1: params is not a valid JSON Schema: .*must be number/),
      },
    ]);
  });

  test('a kind that is none of the four: at /kind', async () => {
    expect(await refused('badkind', "kind: 'sender',")).toEqual([
      { path: '/nodes/0/kind', message: 'badkind.shout: kind must be trigger, action, condition or wait' },
    ]);
  });

  test('an output listed twice, and an action node listing the error output the engine adds', async () => {
    expect(await refused('twiceout', "outputs: ['out', 'other', 'out'],")).toEqual([
      { path: '/nodes/0/outputs/2', message: 'twiceout.shout: the output "out" is listed twice' },
    ]);
    expect(await refused('errorout', "outputs: ['out', 'error'],")).toEqual([
      {
        path: '/nodes/0/outputs/1',
        message:
          'errorout.shout: an action node does not list "error": the engine adds that output to every action node',
      },
    ]);
  });

  test("a trigger's triggerOutput naming none of its outputs, whose runs reached no node", async () => {
    expect(await refused('badtriggerout', "kind: 'trigger', triggerOutput: 'next',")).toEqual([
      {
        path: '/nodes/0/triggerOutput',
        message: 'badtriggerout.shout: triggerOutput "next" is none of its outputs (out)',
      },
    ]);
  });
});

test("an upload's refusal names the package and version its package.json gave", async () => {
  const res = await installTarball(
    t,
    await pack(writePackage({ name: '@acme/named-nodes', prefix: 'named', version: '2.3.4', node: "kind: 'sender'," })),
  );
  expect(res.statusCode).toBe(422);
  expect(res.json().error.message).toBe(
    '@acme/named-nodes@2.3.4 cannot be installed: named.shout: kind must be trigger, action, condition or wait',
  );
});
