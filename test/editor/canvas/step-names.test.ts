import { describe, expect, test } from 'vitest';
import { editorPagePerTest, hasChromium, openJourney } from '../../support/browser.js';
import { TEST_TOKEN } from '../../support/runtime.js';

const _auth = { authorization: `Bearer ${TEST_TOKEN}` };
const at = (id: string, type: string, params: object, y: number) => ({
  id,
  type,
  version: 1,
  params,
  position: { x: 0, y },
});
const edge = (source: string, target: string, sourceHandle = 'out') => ({
  id: `${source}-${target}`,
  source,
  sourceHandle,
  target,
});
const hook = at('hook', 'core.webhook', { secret: 'a-secret-of-16-chars' }, 0);

// A test run's steps name each node as the canvas does, by its title, not by its id.
describe.skipIf(!hasChromium)('a test run’s steps', () => {
  const t = editorPagePerTest();

  async function testRun(name: string, nodes: object[], edges: object[]): Promise<string[]> {
    await openJourney(t.s, t.page, name, { nodes, edges });
    await t.page.getByRole('tab', { name: 'Test' }).click();
    await t.page.getByLabel('Contact email').fill('ann@example.com');
    await t.page.getByRole('button', { name: 'Run test' }).click();
    const steps = t.page.getByRole('list', { name: 'Test steps' }).locator(':scope > li > .row > button');
    await expect.poll(() => steps.count()).toBe(nodes.length);
    return steps.allTextContents();
  }

  test('are named by the nodes’ titles', async () => {
    const names = await testRun(
      'Titles',
      [hook, at('tag', 'crm.tag', { action: 'add', tag: 'vip' }, 200)],
      [edge('hook', 'tag')],
    );
    expect(names).toEqual(['Webhook', 'Tag contact']);
  });

  test('two nodes of one title are told apart by their ids', async () => {
    const names = await testRun(
      'Twins',
      [
        hook,
        at('first', 'crm.tag', { action: 'add', tag: 'a' }, 200),
        at('second', 'crm.tag', { action: 'add', tag: 'b' }, 400),
      ],
      [edge('hook', 'first'), edge('first', 'second')],
    );
    expect(names).toEqual(['Webhook', 'Tag contact (first)', 'Tag contact (second)']);
  });
});
