import { withoutLinkMarks } from '@waymark/sdk';
import { checkMarkup, linksTo, type Problem } from './checks.js';
import { textFromHtml } from './html-text.js';
import { type ContentScope, LiquidFault, renderPart } from './liquid.js';
import { compileMjml } from './mjml.js';

/** A template's content at one version (or a draft). */
export interface TemplateContent {
  format: 'mjml' | 'html';
  subject: string;
  body: string;
  text: string | null;
}

/** A rendered template before tracking: null parts failed Liquid (see `problems`). */
export interface RenderedContent {
  subject: string | null;
  /** The HTML as compiled, with the template's link marks (prepareEmail tracks them). */
  html: string | null;
  text: string | null;
  problems: Problem[];
}

function liquidProblem(part: 'subject' | 'body' | 'text', error: unknown): Problem {
  const fault = error instanceof LiquidFault ? error : new LiquidFault(String(error));
  return {
    code: 'liquid-error',
    severity: 'error',
    message: `${part}: ${fault.message}`,
    part,
    ...(fault.line !== undefined ? { line: fault.line } : {}),
    ...(fault.column !== undefined ? { column: fault.column } : {}),
  };
}

async function attempt<T>(part: 'subject' | 'body' | 'text', problems: Problem[], fn: () => Promise<T>) {
  try {
    return await fn();
  } catch (error) {
    problems.push(liquidProblem(part, error));
    return null;
  }
}

/**
 * Renders a template as a send would, up to tracking: Liquid (with snippets; the body
 * HTML-escaped), then MJML for `mjml`, then the text part (written, or generated from the
 * HTML). Lists what the preview reports about the content itself: Liquid and MJML errors,
 * insecure links, images without alt, and a missing unsubscribe link in marketing mail.
 */
export async function renderContent(input: {
  content: TemplateContent;
  scope: ContentScope;
  snippets: ReadonlyMap<string, string>;
  publicUrl: string;
  marketing: boolean;
}): Promise<RenderedContent> {
  const { content, scope, snippets, publicUrl } = input;
  const problems: Problem[] = [];
  const subject = await attempt('subject', problems, () => renderPart(content.subject, scope, 'text', snippets));
  const written = await attempt('body', problems, () => renderPart(content.body, scope, 'html', snippets));
  let html: string | null = null;
  if (written !== null) {
    problems.push(...checkMarkup(withoutLinkMarks(written), publicUrl));
    if (content.format === 'mjml') {
      const compiled = await compileMjml(written);
      html = compiled.html;
      for (const e of compiled.errors)
        problems.push({
          code: 'mjml-error',
          severity: 'warning',
          message: e.message,
          ...(e.line ? { line: e.line } : {}),
        });
    } else html = written;
    if (input.marketing && !linksTo(withoutLinkMarks(html), scope.unsubscribeUrl))
      problems.push({
        code: 'missing-unsubscribe',
        severity: 'warning',
        message: 'marketing mail without a link to {{ unsubscribeUrl }}: the default unsubscribe footer is added',
      });
  }
  let text: string | null = null;
  if (content.text !== null && content.text !== '')
    text = await attempt('text', problems, () => renderPart(content.text ?? '', scope, 'text', snippets));
  else if (html !== null) text = textFromHtml(withoutLinkMarks(html));
  return { subject, html, text, problems };
}
