import type { JourneyEditor } from '../Journey/journey-editor.svelte.ts';

/** Typing in a form field keeps the browser's own undo, copy and paste. */
function inField(event: Event): boolean {
  const el = event.target as HTMLElement | null;
  return !!el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
}

/** The canvas's shortcuts, as the help overlay lists them (`mod` is Ctrl, or ⌘ on a Mac). */
export const SHORTCUTS: [keys: string, what: string][] = [
  ['Tab, then Enter', 'Go to a node or an edge, then select it'],
  ['Arrow keys', 'Move the selected node (with Shift, further)'],
  ['C', 'Connect an output of the selected node to another node'],
  ['Delete / Backspace', 'Delete the selected nodes and edges'],
  ['mod+Z', 'Undo'],
  ['mod+Shift+Z / mod+Y', 'Redo'],
  ['mod+C / mod+X / mod+V', 'Copy, cut and paste the selection as graph JSON'],
  ['mod+A', 'Select every node'],
  ['Shift+drag', 'Select the nodes in a box; drag one of them to move them all'],
  ['mod+click', 'Add a node to the selection, or take it out'],
  ['F', 'Zoom to fit'],
  ['L', 'Auto-layout'],
  ['?', 'Show or hide this list'],
  ['Esc', 'Clear the selection, close this list'],
];

/**
 * Keyboard and clipboard for the canvas. Copy and paste use the DOM clipboard events, which
 * carry the data without asking the user for clipboard permission.
 */
export function canvasKeys(
  editor: JourneyEditor,
  view: { fit(): void; layout(): void; help(open?: boolean): void; connect(): void },
) {
  return {
    keydown(event: KeyboardEvent): void {
      if (inField(event)) return;
      const mod = event.ctrlKey || event.metaKey;
      const key = event.key.toLowerCase();
      // Views first: they work on a read-only version too.
      if (key === '?') view.help();
      else if (key === 'escape') {
        view.help(false);
        editor.nodes = editor.nodes.map((n) => (n.selected ? { ...n, selected: false } : n));
      } else if (!mod && key === 'f') view.fit();
      else if (editor.readOnly) return;
      else if (!mod && key === 'l') view.layout();
      else if (!mod && key === 'c') view.connect();
      else if (mod && key === 'z' && !event.shiftKey) editor.undo();
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
