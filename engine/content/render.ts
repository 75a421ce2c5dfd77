import { withoutLinkMarks } from '@waymark/sdk';
import { checkMarkup, linksToUnsubscribe } from './checks.js';
import { textFromHtml } from './html-text.js';
import { type ContentScope, LiquidFault, renderPart } from './liquid.js';
import { compileMjml, MjmlFault } from './mjml.js';
import type { Problem, TemplateContent } from './types.js';

/** An error that stops a send: its problem, and the step error code the send fails with. */
export interface RenderFault {
  code: 'template.parse' | 'template.render';
  problem: Problem;
}

/** A rendered template before tracking: null parts failed (see `problems`). */
export interface RenderedContent {
  subject: string | null;
  /** The HTML as compiled, with the template's link marks (prepareEmail tracks them). */
  html: string | null;
  text: string | null;
  problems: Problem[];
  /** The first error-severity problem; null when the template can be sent. */
  fault: RenderFault | null;
}

function liquidFault(part: 'subject' | 'body' | 'text', error: unknown): RenderFault {
  const fault = error instanceof LiquidFault ? error : new LiquidFault(String(error), 'template.render');
  return {
    code: fault.code,
    problem: {
      code: 'liquid-error',
      severity: 'error',
      message: `${part}: ${fault.message}`,
      part,
      ...(fault.line !== undefined ? { line: fault.line } : {}),
      ...(fault.column !== undefined ? { column: fault.column } : {}),
    },
  };
}

/** Collects a render's problems, keeping apart the errors (faults) that stop a send. */
class Findings {
  readonly problems: Problem[] = [];
  readonly faults: RenderFault[] = [];

  fail(fault: RenderFault): null {
    this.faults.push(fault);
    this.problems.push(fault.problem);
    return null;
  }

  async attempt<T>(part: 'subject' | 'body' | 'text', fn: () => Promise<T>): Promise<T | null> {
    try {
      return await fn();
    } catch (error) {
      return this.fail(liquidFault(part, error));
    }
  }
}

/**
 * MJML compiled to HTML, its validation errors as warnings. MJML that does not compile at all
 * (not enclosed in `<mjml>`, empty …) is an `mjml-error` too, a warning as content.md lists
 * it (warnings never stop a send): the body goes out as Liquid wrote it, uncompiled.
 */
async function compiledMjml(written: string, problems: Problem[]): Promise<string> {
  try {
    const compiled = await compileMjml(written);
    for (const e of compiled.errors)
      problems.push({
        code: 'mjml-error',
        severity: 'warning',
        message: e.message,
        ...(e.line ? { line: e.line } : {}),
      });
    return compiled.html;
  } catch (error) {
    if (!(error instanceof MjmlFault)) throw error;
    problems.push({
      code: 'mjml-error',
      severity: 'warning',
      message: `body: ${error.message} The body is sent as written, not compiled.`,
      part: 'body',
    });
    return written;
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
  const findings = new Findings();
  const { problems } = findings;
  const subject = await findings.attempt('subject', () => renderPart(content.subject, scope, 'text', snippets));
  const written = await findings.attempt('body', () => renderPart(content.body, scope, 'html', snippets));
  let html: string | null = null;
  if (written !== null) {
    problems.push(...checkMarkup(withoutLinkMarks(written), publicUrl));
    html = content.format === 'mjml' ? await compiledMjml(written, problems) : written;
    if (html !== null && input.marketing && !linksToUnsubscribe(withoutLinkMarks(html), scope.unsubscribeUrl))
      problems.push({
        code: 'missing-unsubscribe',
        severity: 'warning',
        message: 'marketing mail without a link to {{ unsubscribeUrl }}: the default unsubscribe footer is added',
      });
  }
  let text: string | null = null;
  if (content.text !== null && content.text !== '')
    text = await findings.attempt('text', () => renderPart(content.text ?? '', scope, 'text', snippets));
  else if (html !== null) text = textFromHtml(withoutLinkMarks(html));
  return { subject, html, text, problems, fault: findings.faults[0] ?? null };
}
