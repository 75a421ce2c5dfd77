import { describe, expect, test } from 'vitest';
import { editorPagePerTest, hasChromium, openJourney } from '../../support/browser.js';

const at = (id: string, type: string, params: object, y = 0) => ({
  id,
  type,
  version: 1,
  params,
  position: { x: 0, y },
});

// The draft's problems as a marketer reads them: the server names nodes by id and fields by JSON
// pointer (`node n1`, `/secret is required`); the editor says the node's title and the field's label.
describe.skipIf(!hasChromium)('problems in the canvas’s words', () => {
  const t = editorPagePerTest();

  const open = (name: string, nodes: object[], edges: object[] = []) =>
    openJourney(t.s, t.page, name, { nodes, edges });

  const problems = async () => {
    await t.page.getByRole('tab', { name: /^Problems/ }).click();
    const items = t.page.locator('.problems li');
    return async () => (await items.allTextContents()).map((text) => text.replace(/\s+/g, ' ').trim());
  };
  const fieldErrors = (path: string) => t.page.locator(`[data-path="${path}"] .error-text`);

  test('the problems list names the node by its title and the field by its label', async () => {
    await open('Titles', [at('hook1', 'core.webhook', {})]);
    const list = await problems();
    await expect.poll(list).toEqual(['Webhook Secret is required']);
  });

  test('a node no trigger reaches is named by its title, not its id', async () => {
    await open('Unreached', [
      at('hook2', 'core.webhook', { secret: 'a-secret-of-16-chars' }),
      at('end9', 'core.exit', {}, 200),
    ]);
    const list = await problems();
    await expect.poll(list).toEqual(['Exit node “Exit” cannot be reached from any trigger']);
  });

  test('a field shows its problem once, without the pointer', async () => {
    await open('Short secret', [at('hook3', 'core.webhook', { secret: 'short' })]);
    await t.page.locator('.svelte-flow__node[data-id="hook3"]').click();
    await expect.poll(() => fieldErrors('/secret').allInnerTexts()).toEqual(['must NOT have fewer than 16 characters']);
  });

  test('a wait with neither a duration nor a time says it needs one of them, once', async () => {
    await open(
      'Wait for what',
      [at('hook4', 'core.webhook', { secret: 'a-secret-of-16-chars' }), at('wait4', 'core.wait', {}, 200)],
      [{ id: 'e4', source: 'hook4', sourceHandle: 'out', target: 'wait4' }],
    );
    await t.page.locator('.svelte-flow__node[data-id="wait4"]').click();
    const inspector = t.page.locator('.head .error-text');
    await expect.poll(() => inspector.allInnerTexts()).toEqual(['needs exactly one of duration, until']);
    expect(await fieldErrors('/duration').count()).toBe(0);
    expect(await fieldErrors('/until').count()).toBe(0);
  });
});
