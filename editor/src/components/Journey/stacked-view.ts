import { createContext, tick } from 'svelte';

/** The inspector's heading (NodeHeader): where a tapped node's settings begin. */
const INSPECTOR_HEADING = '[data-inspector-heading]';

/**
 * Moving between the canvas and the inspector where the window is too narrow for them side by
 * side (a phone): the inspector lies under the canvas, and a node tapped there would open its
 * settings out of sight. Where they lie side by side, nothing moves.
 */
export class StackedView {
  /** `canvas` gives the canvas's box, `body` the part holding the canvas and the side panel. */
  constructor(
    private readonly canvas: () => HTMLElement | undefined,
    private readonly body: () => HTMLElement | undefined,
  ) {}

  /**
   * After a node was tapped or clicked on the canvas: once the inspector shows it, brings its
   * heading into view and focus (a screen reader says where the user now is). Not on a key press:
   * a keyboard user selecting a node goes on moving and connecting it on the canvas.
   */
  async showInspector(): Promise<void> {
    await tick();
    const canvas = this.canvas();
    const heading = this.body()?.querySelector<HTMLElement>(INSPECTOR_HEADING);
    if (!canvas || !heading || !below(heading, canvas)) return;
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
