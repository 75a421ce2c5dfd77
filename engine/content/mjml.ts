import { LINK_MARK_ATTRIBUTE, linkMarkComment, linkMarkOf } from '@waymark/sdk';

const PLACEHOLDER = 'https://waymark-link.invalid/';

/** MJML that does not compile at all (not enclosed in `<mjml>`, empty …): its parser's message. */
export class MjmlFault extends Error {}

/**
 * Compiles MJML (validation `soft`) to responsive HTML, keeping the template's link marks:
 * MJML drops attributes it does not know, so each marked `href` stands in as a placeholder URL
 * while MJML runs and gets its mark and value back after. Returns the HTML (with the mark
 * comment when the input had one) and MJML's validation errors with their lines; throws an
 * `MjmlFault` when MJML cannot compile it at all, which `soft` validation does not cover.
 */
export async function compileMjml(
  source: string,
): Promise<{ html: string; errors: { line?: number; message: string }[] }> {
  const mark = linkMarkOf(source);
  const hrefs: string[] = [];
  let input = source.replace(/<!--waymark-links:[0-9a-f]{24}-->/g, '');
  if (mark) {
    const marked = new RegExp(
      `\\s${LINK_MARK_ATTRIBUTE}=${mark}\\s+href\\s*=\\s*("([^"]*)"|'([^']*)'|([^\\s>"']+))`,
      'gi',
    );
    input = input.replace(marked, (_whole, _v, dq?: string, sq?: string, bare?: string) => {
      hrefs.push(dq ?? sq ?? bare ?? '');
      return ` href="${PLACEHOLDER}${hrefs.length - 1}"`;
    });
  }
  // Loaded at the first MJML template, not with the engine: MJML and what it pulls in take about
  // 0.6 s to import, which every process (and every test file) paid at its start.
  const { default: mjml2html } = await import('mjml');
  let result: Awaited<ReturnType<typeof mjml2html>>;
  try {
    result = await mjml2html(input, { validationLevel: 'soft', keepComments: false });
  } catch (error) {
    throw new MjmlFault(error instanceof Error ? error.message : String(error));
  }
  let html = result.html.replace(
    new RegExp(`href="${PLACEHOLDER.replace(/[./]/g, '\\$&')}(\\d+)"`, 'g'),
    (_w, i: string) => {
      const value = (hrefs[Number(i)] ?? '').replace(/"/g, '&quot;');
      return `${LINK_MARK_ATTRIBUTE}=${mark} href="${value}"`;
    },
  );
  if (mark) html += linkMarkComment(mark);
  const errors = (result.errors ?? []).map((e: { line?: number; message: string }) => ({
    ...(typeof e.line === 'number' ? { line: e.line } : {}),
    message: e.message,
  }));
  return { html, errors };
}
