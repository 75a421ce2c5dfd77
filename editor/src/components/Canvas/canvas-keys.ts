import type { JourneyEditor } from '../Journey/journey-editor.svelte.ts';

/** Typing in a form field keeps the browser's own undo, copy and paste. */
function inField(event: Event): boolean {
  const el = event.target as HTMLElement | null;
  return !!el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
}

/**
 * Keyboard and clipboard for the canvas. Copy and paste use the DOM clipboard events, which
 * carry the data without asking the user for clipboard permission.
 */
export function canvasKeys(editor: JourneyEditor) {
  return {
    keydown(event: KeyboardEvent): void {
      if (inField(event) || editor.readOnly) return;
      const mod = event.ctrlKey || event.metaKey;
      const key = event.key.toLowerCase();
      if (mod && key === 'z' && !event.shiftKey) editor.undo();
      else if (mod && (key === 'y' || (key === 'z' && event.shiftKey))) editor.redo();
      else if (mod && key === 'a') editor.nodes = editor.nodes.map((n) => ({ ...n, selected: true }));
      else return;
      event.preventDefault();
    },
    copy(event: ClipboardEvent): void {
      if (inField(event)) return;
      const json = editor.ops.copy();
      if (!json || !event.clipboardData) return;
      event.clipboardData.setData('text/plain', json);
      event.preventDefault();
    },
    cut(event: ClipboardEvent): void {
      if (inField(event) || editor.readOnly) return;
      const json = editor.ops.copy();
      if (!json || !event.clipboardData) return;
      event.clipboardData.setData('text/plain', json);
      editor.ops.deleteSelected();
      event.preventDefault();
    },
    paste(event: ClipboardEvent): void {
      if (inField(event) || editor.readOnly) return;
      const text = event.clipboardData?.getData('text/plain');
      if (text && editor.ops.paste(text)) event.preventDefault();
    },
  };
}
