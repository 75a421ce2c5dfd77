import { createContext, tick } from 'svelte';

/** The inspector's heading (NodeHeader): where a chosen node's settings begin. */
const INSPECTOR_HEADING = '[data-inspector-heading]';
/** The side panel (SidePanel), whose tabs hold the inspector. */
const SIDE_PANEL = '[data-side-panel]';

/**
 * Moving between the canvas and the inspector where the window is too narrow for them side by
 * side (a phone): the inspector lies under the canvas, and a node chosen there would open its
 * settings out of sight. Where they lie side by side, nothing moves.
 */
export class StackedView {
  private openTab: () => void = () => {};

  /** `canvas` gives the canvas's box, `body` the part holding the canvas and the side panel. */
  constructor(
    private readonly canvas: () => HTMLElement | undefined,
    private readonly body: () => HTMLElement | undefined,
  ) {}

  /** How the side panel opens its Inspector tab (SidePanel says, as it is drawn). */
  opensInspectorWith(open: () => void): void {
    this.openTab = open;
  }

  /**
   * After a node was chosen on the canvas (a tap, a click, Enter or Space on it): where the side
   * panel lies under the canvas, opens its Inspector tab whichever tab was open (the others out
   * of sight there would answer the tap with nothing to see), then brings the inspector's heading
   * into view and focus, so a screen reader says where the user now is. Side by side nothing
   * moves: the inspector is in sight, and a keyboard user goes on moving and connecting the node
   * on the canvas.
   */
  async showInspector(): Promise<void> {
    const canvas = this.canvas();
    const side = this.body()?.querySelector<HTMLElement>(SIDE_PANEL);
    if (!canvas || !side || !below(side, canvas)) return;
    this.openTab();
    await tick();
    const heading = side.querySelector<HTMLElement>(INSPECTOR_HEADING);
    if (!heading) return;
    heading.focus({ preventScroll: true });
    heading.scrollIntoView({ behavior: motion(), block: 'start' });
  }

  /** The inspector's way back: the canvas into view, focus on the node being edited. */
  showCanvas(nodeId: string): void {
    const canvas = this.canvas();
    if (!canvas) return;
    canvas.scrollIntoView({ behavior: motion(), block: 'start' });
    canvas
      .querySelector<HTMLElement>(`.svelte-flow__node[data-id="${CSS.escape(nodeId)}"]`)
      ?.focus({ preventScroll: true });
  }
}

/** Decided by where they are drawn, not by the device: a narrow desktop window stacks too. */
function below(el: HTMLElement, canvas: HTMLElement): boolean {
  return el.getBoundingClientRect().top >= canvas.getBoundingClientRect().bottom - 1;
}

function motion(): ScrollBehavior {
  return matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth';
}

export const [getStackedView, setStackedView] = createContext<StackedView>();
