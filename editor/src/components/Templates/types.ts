/**
 * The template API's shapes as the editor uses them (contracts/content.md): the engine's,
 * typed once there; type-only, so none of the engine's code is bundled. A template's content
 * as the editor edits it is what a save sends (its name with its content).
 */
export type {
  Preview,
  Problem,
  Template,
  TemplateFormat,
  TemplateInput as TemplateContent,
  TemplateSummary,
} from '../../../../engine/content/types.ts';
