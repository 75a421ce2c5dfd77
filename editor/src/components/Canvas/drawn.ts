import { createContext } from 'svelte';

/** Tells the canvas a node has been drawn: it then drops the node's estimated box (lib/graph/estimate.ts). */
export const [getDrawn, setDrawn] = createContext<(id: string) => void>();
