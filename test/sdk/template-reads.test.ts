import { templateReads } from '@waymark/sdk';
import { describe, expect, test } from 'vitest';

const reads = (source: string, kind?: 'text' | 'html' | 'json') => [...(templateReads(source, kind) ?? ['?'])].sort();

describe('what a template reads of its scope (templateReads)', () => {
  test('the roots of the variables it reads', () => {
    expect(reads('Hi {{ contact.attributes.firstName }}, {{ trigger.plan }}')).toEqual(['contact', 'trigger']);
  });

  test('no root for a template without variables, and none for its own assignments', () => {
    expect(reads('{% assign x = "a" %}{{ x | upcase }}')).toEqual([]);
  });

  test('a root it names only in a string, as for a computed lookup', () => {
    expect(reads('{% assign who = "contact" %}{{ [who].email }}')).toContain('contact');
  });

  test('loops and conditions over a root', () => {
    expect(reads('{% for s in steps %}{% if run.id %}{{ s }}{% endif %}{% endfor %}')).toEqual(['run', 'steps']);
  });

  test('the same in HTML and JSON templates', () => {
    expect(reads('<a href="https://a.test/{{ contact.id }}">x</a>', 'html')).toContain('contact');
    expect(reads('{"x": "{{ steps.n1.output.x }}"}', 'json')).toEqual(['steps']);
  });

  test('null for a template that does not parse: it may read anything', () => {
    expect(templateReads('{% if contact %}')).toBeNull();
  });
});
