import { Liquid, type Template } from 'liquidjs';
import type { JsonObject } from '../api/types/json.ts';
import type { Filter } from '../filter/types.ts';
import { filterWords } from '../filter/words.ts';
import { durationWords } from '../util/duration.ts';

/**
 * Renders node summaries (SDK `summary`: a Liquid template over the params) for the canvas.
 * One per catalogue: it keeps each type's parsed template, so a node redraws without parsing.
 */
export class SummaryRenderer {
  private readonly liquid = new Liquid({ strictFilters: false, strictVariables: false });
  private readonly parsed = new Map<string, Template[] | null>();

  constructor() {
    this.liquid.registerFilter('duration', (v: unknown) => durationWords(String(v ?? '')));
    this.liquid.registerFilter('filter', (v: unknown) => filterWords(v as Filter));
  }

  /** The one line for these params, whitespace collapsed; '' when there is none or it fails. */
  render(template: string | undefined, params: JsonObject): string {
    if (!template) return '';
    let parsed = this.parsed.get(template);
    if (parsed === undefined) {
      try {
        parsed = this.liquid.parse(template);
      } catch {
        parsed = null; // a package's broken template must not break the canvas
      }
      this.parsed.set(template, parsed);
    }
    if (!parsed) return '';
    try {
      return String(this.liquid.renderSync(parsed, params)).replace(/\s+/g, ' ').trim();
    } catch {
      return '';
    }
  }
}
